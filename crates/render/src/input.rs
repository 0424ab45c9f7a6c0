//! The job input: a scene in the compact binary format the module decodes.
//!
//! Version 1, little-endian. Every real number is a signed 32-bit fixed point with
//! 16 fractional bits ("q16": the value times 65536, rounded); a vec3 is three q16.
//!
//! ```text
//!  off  size  field
//!    0     4  magic "PLRS"
//!    4     2  u16 version = 1
//!    6     2  u16 width              1..=4096
//!    8     2  u16 height             1..=4096
//!   10     2  u16 tile               1..=256 (square tiles)
//!   12     2  u16 samples per pixel  1..=1024
//!   14     1  u8  max bounces        1..=32
//!   15     1  u8  material count m   1..=16
//!   16     1  u8  object count n     1..=128
//!   17     3  zero
//!   20     4  u32 seed
//!   24    12  camera position        vec3, |c| <= 10000
//!   36    12  camera look-at         vec3, |c| <= 10000, away from the position
//!   48    12  camera up              vec3, |c| <= 10000, not along the view
//!   60     4  tan(vertical fov / 2)  q16 in [0.01, 100]
//!   64    12  sky at the horizon     vec3 in [0, 64]
//!   76    12  sky at the zenith      vec3 in [0, 64]
//!   88  20·m  materials: u8 kind, 3 zero bytes, colour vec3, parameter q16
//!               0 diffuse     albedo [0, 1], parameter 0
//!               1 metal       albedo [0, 1], fuzz [0, 1]
//!               2 dielectric  tint [0, 1],   index of refraction [1, 4]
//!               3 emissive    radiance [0, 1000], parameter 0
//!    .  28·n  objects: u8 kind, u8 material index (< m), 2 zero bytes, six q16
//!               0 sphere  centre vec3, radius (0, 10000], 0, 0
//!               1 plane   normal vec3 (not zero), offset, 0, 0
//!               2 box     min vec3, max vec3 (min < max on every axis)
//! ```
//!
//! The input is exactly `88 + 20·m + 28·n` bytes (at most 3,992), and the module
//! refuses anything else with code 1. Materials are encoded in name order; objects
//! in file order. The encoding of a scene is the same on every machine: the field of
//! view's tangent comes from a fixed series, not the platform's `tan`.

use crate::scene::{fixed, fixed3, material_words, object_words, MAX_COORD, MAX_SKY};
use crate::{RenderError, Scene, MAX_INPUT_BYTES};

/// The first four bytes of every input.
pub const MAGIC: [u8; 4] = *b"PLRS";
/// The format version this crate writes and the module reads.
pub const VERSION: u16 = 1;
/// Bytes before the materials.
pub const HEADER_BYTES: usize = 88;
/// Bytes per material.
pub const MATERIAL_BYTES: usize = 20;
/// Bytes per object.
pub const OBJECT_BYTES: usize = 28;

/// `value × 65536`, rounded, when it fits an `i32`.
pub(crate) fn q16(value: f64) -> Option<i32> {
    let scaled = (value * 65536.0).round();
    // NaN fails both comparisons.
    if scaled >= f64::from(i32::MIN) && scaled <= f64::from(i32::MAX) {
        Some(scaled as i32)
    } else {
        None
    }
}

/// `tan(degrees / 2)` for `degrees` in (0, 180), from Taylor series of sine and
/// cosine: only IEEE-754 arithmetic, so every machine gets the same bits.
pub(crate) fn tan_half_degrees(degrees: f64) -> f64 {
    let x = degrees / 2.0 * (std::f64::consts::PI / 180.0); // in (0, pi/2)
    let (mut sin, mut cos) = (0.0, 0.0);
    let (mut s_term, mut c_term) = (x, 1.0);
    // 30 terms: the remainder is below 1e-40 for x < pi/2.
    for k in 0..30 {
        sin += s_term;
        cos += c_term;
        let k = f64::from(k);
        s_term *= -x * x / ((2.0 * k + 2.0) * (2.0 * k + 3.0));
        c_term *= -x * x / ((2.0 * k + 1.0) * (2.0 * k + 2.0));
    }
    sin / cos
}

fn put_q(out: &mut Vec<u8>, v: i32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_vec(out: &mut Vec<u8>, v: [i32; 3]) {
    v.into_iter().for_each(|c| put_q(out, c));
}

/// Encodes a scene (checked first) as a job input.
pub(crate) fn encode(scene: &Scene) -> Result<Vec<u8>, RenderError> {
    scene.validate()?;
    let im = &scene.image;
    let cam = &scene.camera;
    let len =
        HEADER_BYTES + MATERIAL_BYTES * scene.materials.len() + OBJECT_BYTES * scene.objects.len();
    if len > MAX_INPUT_BYTES {
        return Err(RenderError::InputTooLarge {
            len,
            max: MAX_INPUT_BYTES,
        });
    }
    // validate() bounded every count and value below; these conversions cannot fail.
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    for v in [im.width, im.height, im.tile, im.samples] {
        out.extend_from_slice(&(v as u16).to_le_bytes());
    }
    out.push(im.max_bounces as u8);
    out.push(scene.materials.len() as u8);
    out.push(scene.objects.len() as u8);
    out.extend_from_slice(&[0; 3]);
    out.extend_from_slice(&im.seed.to_le_bytes());
    put_vec(
        &mut out,
        fixed3("camera.position", cam.position, -MAX_COORD, MAX_COORD)?,
    );
    put_vec(
        &mut out,
        fixed3("camera.look_at", cam.look_at, -MAX_COORD, MAX_COORD)?,
    );
    put_vec(
        &mut out,
        fixed3("camera.up", cam.up, -MAX_COORD, MAX_COORD)?,
    );
    put_q(
        &mut out,
        fixed("camera.fov", tan_half_degrees(cam.fov), 0.01, 100.0)?,
    );
    put_vec(
        &mut out,
        fixed3("sky.horizon", scene.sky.horizon, 0.0, MAX_SKY)?,
    );
    put_vec(
        &mut out,
        fixed3("sky.zenith", scene.sky.zenith, 0.0, MAX_SKY)?,
    );
    for (name, m) in &scene.materials {
        let (kind, color, param) = material_words(&format!("materials.{name}"), m)?;
        out.push(kind);
        out.extend_from_slice(&[0; 3]);
        put_vec(&mut out, color);
        put_q(&mut out, param);
    }
    for (i, o) in scene.objects.iter().enumerate() {
        let field = format!("objects[{i}]");
        let material = scene.material_index(&field, o.material())?;
        let (kind, words) = object_words(&field, o)?;
        out.push(kind);
        out.push(material);
        out.extend_from_slice(&[0; 2]);
        words.into_iter().for_each(|w| put_q(&mut out, w));
    }
    debug_assert_eq!(out.len(), len);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tangent_series_matches_tan() {
        for deg in [2.0, 10.0, 40.0, 60.0, 90.0, 120.0, 178.0] {
            let want = (f64::to_radians(deg) / 2.0).tan();
            let got = tan_half_degrees(deg);
            assert!(
                (got - want).abs() <= 1e-12 * want.max(1.0),
                "{deg}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn q16_rounds_and_bounds() {
        assert_eq!(q16(1.0), Some(65536));
        assert_eq!(q16(-0.5), Some(-32768));
        assert_eq!(q16(1.0 / 131072.0), Some(1)); // half a unit rounds away from zero
        assert_eq!(q16(f64::NAN), None);
        assert_eq!(q16(f64::INFINITY), None);
        assert_eq!(q16(40_000.0), None);
    }
}
