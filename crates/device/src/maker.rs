//! A maker's side of onboarding: at manufacture, the maker's key signs each
//! device's key ([`plinth_ledger::governance::makers::maker_message`]); the owner
//! later registers the device with that certificate
//! ([`plinth_ledger::Call::RegisterMadeDevice`]), and the maker's account pays
//! its onboarding fee in credits.
//!
//! ```
//! use plinth_core::{Address, DeviceId, Keypair};
//! let maker = Keypair::from_seed([1; 32]);
//! let device = DeviceId(Keypair::from_seed([2; 32]).public());
//! let certificate = plinth_device::maker::sign_device(&maker, &device);
//! assert!(plinth_device::maker::verify_device(&Address(maker.public()), &device, &certificate));
//! ```

use plinth_core::{Address, DeviceId, Keypair, Signature};
use plinth_ledger::governance::makers::maker_message;

/// The maker's certificate for `device`: `maker_key`'s signature over the
/// device's key, as the ledger checks it at registration.
pub fn sign_device(maker_key: &Keypair, device: &DeviceId) -> Signature {
    maker_key.sign(&maker_message(&Address(maker_key.public()), device))
}

/// Whether `certificate` is `maker`'s signature over `device`'s key.
pub fn verify_device(maker: &Address, device: &DeviceId, certificate: &Signature) -> bool {
    maker
        .key()
        .verify(&maker_message(maker, device), certificate)
        .is_ok()
}
