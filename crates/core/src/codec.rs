//! The canonical binary codec: borsh, with a hard size limit on every decode.
//!
//! Borsh gives one encoding per value (fixed-width little-endian integers, length
//! prefixed sequences, no optional fields), which is what signatures and state roots
//! need. Every decoder of external input goes through [`decode`], which refuses input
//! larger than the caller's limit before any allocation and refuses trailing bytes.

use borsh::{BorshDeserialize, BorshSerialize};

/// Why bytes could not be decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CodecError {
    /// The input is larger than the caller's limit (checked before decoding).
    #[error("input of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The input's size, bytes.
        size: usize,
        /// The largest size accepted, bytes.
        limit: usize,
    },
    /// The bytes are not the encoding of a value of the type, or have bytes left over.
    #[error("malformed encoding: {0}")]
    Malformed(String),
}

/// Encodes a value canonically.
pub fn encode<T: BorshSerialize>(value: &T) -> Vec<u8> {
    borsh::to_vec(value).expect("encoding into a Vec cannot fail")
}

/// Decodes a value from exactly `bytes`, refusing input over `limit` bytes.
pub fn decode<T: BorshDeserialize>(bytes: &[u8], limit: usize) -> Result<T, CodecError> {
    if bytes.len() > limit {
        return Err(CodecError::TooLarge {
            size: bytes.len(),
            limit,
        });
    }
    // borsh::from_slice refuses trailing bytes, so each value has one encoding.
    borsh::from_slice(bytes).map_err(|e| CodecError::Malformed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(BorshSerialize, BorshDeserialize, Debug, PartialEq)]
    struct Msg {
        a: u64,
        b: Vec<u8>,
    }

    #[test]
    fn round_trip_and_limits() {
        let m = Msg {
            a: 7,
            b: vec![1, 2, 3],
        };
        let bytes = encode(&m);
        assert_eq!(decode::<Msg>(&bytes, 1024).unwrap(), m);
        assert!(matches!(
            decode::<Msg>(&bytes, 4),
            Err(CodecError::TooLarge { size: 15, limit: 4 })
        ));
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(matches!(
            decode::<Msg>(&trailing, 1024),
            Err(CodecError::Malformed(_))
        ));
        assert!(matches!(
            decode::<Msg>(&bytes[..5], 1024),
            Err(CodecError::Malformed(_))
        ));
    }

    #[test]
    fn huge_length_prefix_does_not_allocate_wildly() {
        // a: 8 bytes, then a vec length of u32::MAX with no data behind it.
        let mut bytes = vec![0u8; 8];
        bytes.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode::<Msg>(&bytes, 1024).is_err());
    }
}
