//! Human-readable identifiers: bech32m over a public key, so that a mistyped
//! address is refused by its checksum before anything is sent.
//!
//! Accounts read `plinth1…`; devices read `pdev1…`. The prefix says which kind an
//! identifier is, so a device id pasted where an account is expected is refused too.

use crate::keys::PublicKey;
use bech32::{primitives::decode::CheckedHrpstring, Bech32m, Hrp};
use borsh::{BorshDeserialize, BorshSerialize};
use std::fmt;
use std::str::FromStr;

/// Why an address was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AddressError {
    /// Not a bech32m string of a 32-byte key (bad checksum, characters or length).
    #[error("invalid address `{input}`: {reason}")]
    Invalid {
        /// The text as given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A valid identifier of another kind (a device id where an account is expected).
    #[error("wrong kind of address `{input}`: expected prefix `{expected}1`, found `{found}1`")]
    WrongPrefix {
        /// The text as given.
        input: String,
        /// The prefix this kind of identifier has.
        expected: &'static str,
        /// The prefix the text has.
        found: String,
    },
}

fn encode(hrp: &'static str, key: &PublicKey) -> String {
    bech32::encode::<Bech32m>(Hrp::parse_unchecked(hrp), &key.0).expect("32 bytes always encode")
}

fn parse(hrp: &'static str, input: &str) -> Result<PublicKey, AddressError> {
    let invalid = |reason: String| AddressError::Invalid {
        input: input.to_string(),
        reason,
    };
    let checked = CheckedHrpstring::new::<Bech32m>(input).map_err(|e| invalid(e.to_string()))?;
    let found = checked.hrp().to_lowercase();
    if found != hrp {
        return Err(AddressError::WrongPrefix {
            input: input.to_string(),
            expected: hrp,
            found,
        });
    }
    let bytes: Vec<u8> = checked.byte_iter().collect();
    let key: [u8; 32] = bytes
        .try_into()
        .map_err(|b: Vec<u8>| invalid(format!("expected 32 bytes of key, found {}", b.len())))?;
    Ok(PublicKey(key))
}

macro_rules! bech32_id {
    ($(#[$doc:meta])* $name:ident, $hrp:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize)]
        pub struct $name(pub PublicKey);

        impl $name {
            /// The bech32m prefix of this kind of identifier.
            pub const HRP: &'static str = $hrp;

            /// The public key the identifier names.
            pub fn key(&self) -> &PublicKey {
                &self.0
            }
        }

        impl From<PublicKey> for $name {
            fn from(k: PublicKey) -> Self {
                $name(k)
            }
        }

        impl FromStr for $name {
            type Err = AddressError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse($hrp, s.trim()).map($name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&encode($hrp, &self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

bech32_id!(
    /// An account: the public key that signs its transactions, shown as `plinth1…`.
    Address,
    "plinth"
);
bech32_id!(
    /// A device: the public key of the device's own key pair, shown as `pdev1…`.
    DeviceId,
    "pdev"
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Keypair;

    #[test]
    fn round_trip() {
        let a = Address(Keypair::from_seed([1; 32]).public());
        let s = a.to_string();
        assert!(s.starts_with("plinth1"));
        assert_eq!(s.parse::<Address>().unwrap(), a);
        let d = DeviceId(a.0);
        assert!(d.to_string().starts_with("pdev1"));
    }

    #[test]
    fn typo_is_refused_by_checksum() {
        let s = Address(Keypair::from_seed([1; 32]).public()).to_string();
        let mut chars: Vec<char> = s.chars().collect();
        let i = chars.len() - 5;
        chars[i] = if chars[i] == 'q' { 'p' } else { 'q' };
        let typo: String = chars.into_iter().collect();
        assert!(matches!(
            typo.parse::<Address>(),
            Err(AddressError::Invalid { .. })
        ));
    }

    #[test]
    fn wrong_kind_is_refused() {
        let d = DeviceId(Keypair::from_seed([1; 32]).public()).to_string();
        assert!(matches!(
            d.parse::<Address>(),
            Err(AddressError::WrongPrefix { .. })
        ));
    }

    #[test]
    fn json_is_the_string_form() {
        let a = Address(Keypair::from_seed([2; 32]).public());
        let j = serde_json::to_string(&a).unwrap();
        assert_eq!(j, format!("\"{a}\""));
        assert_eq!(serde_json::from_str::<Address>(&j).unwrap(), a);
    }
}
