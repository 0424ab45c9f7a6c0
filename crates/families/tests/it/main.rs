//! plinth-families' integration tests: one binary (`mod` files beside this one).

mod mapping;
mod rebuild;
mod sensor;
mod template;
mod vehicles;
