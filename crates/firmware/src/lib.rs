//! Build and sign Plinth device reports on microcontrollers.
#![no_std]
#[cfg(any(test, feature = "std"))]
extern crate std;
