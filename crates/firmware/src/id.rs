//! The device id as text: `pdev1…`, bech32m (BIP 350) of the 32-byte public key,
//! without an allocator (the chain's `plinth_core::DeviceId` writes the same).

/// The length of a device id's text: `pdev`, `1`, 52 characters of key, 6 of checksum.
pub const DEVICE_ID_LEN: usize = 63;

const HRP: &[u8] = b"pdev";
const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
/// BIP 350's constant: the checksum of bech32m (bech32 uses 1).
const BECH32M_CONST: u32 = 0x2bc8_30a3;

/// A device id's text, `pdev1…` (ASCII, [`DEVICE_ID_LEN`] bytes).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DeviceIdText([u8; DEVICE_ID_LEN]);

impl core::fmt::Debug for DeviceIdText {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn polymod_step(chk: u32, value: u8) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let top = chk >> 25;
    let mut chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(value);
    for (i, g) in GEN.iter().enumerate() {
        if (top >> i) & 1 == 1 {
            chk ^= g;
        }
    }
    chk
}

impl DeviceIdText {
    /// The id of the device with public key `key`.
    pub fn of(key: &[u8; 32]) -> DeviceIdText {
        // The key as 52 groups of 5 bits, most significant first, zero-padded.
        let mut groups = [0u8; 52];
        let (mut acc, mut bits, mut n) = (0u32, 0u32, 0usize);
        for byte in key {
            acc = (acc << 8) | u32::from(*byte);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                groups[n] = ((acc >> bits) & 31) as u8;
                n += 1;
            }
            acc &= (1 << bits) - 1;
        }
        groups[n] = ((acc << (5 - bits)) & 31) as u8;

        let mut chk = 1u32;
        for c in HRP {
            chk = polymod_step(chk, c >> 5);
        }
        chk = polymod_step(chk, 0);
        for c in HRP {
            chk = polymod_step(chk, c & 31);
        }
        for g in groups {
            chk = polymod_step(chk, g);
        }
        for _ in 0..6 {
            chk = polymod_step(chk, 0);
        }
        chk ^= BECH32M_CONST;

        let mut text = [0u8; DEVICE_ID_LEN];
        text[..HRP.len()].copy_from_slice(HRP);
        text[HRP.len()] = b'1';
        let data = &mut text[HRP.len() + 1..];
        for (t, g) in data.iter_mut().zip(groups) {
            *t = CHARSET[usize::from(g)];
        }
        for i in 0..6 {
            data[52 + i] = CHARSET[((chk >> (5 * (5 - i))) & 31) as usize];
        }
        DeviceIdText(text)
    }

    /// The id's bytes (ASCII, no terminating NUL).
    pub fn as_bytes(&self) -> &[u8; DEVICE_ID_LEN] {
        &self.0
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        // Only bytes of HRP, `1` and CHARSET are ever written: ASCII.
        core::str::from_utf8(&self.0).unwrap_or("")
    }
}
