//! The scene file (`scene.toml`): what it may say, and the checks that name the
//! field at fault.
//!
//! Every real number is checked after it is rounded to the job input's fixed point
//! (1/65536), so what passes here is exactly what the module accepts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::input::{self, q16};
use crate::{RenderError, Tiling};

/// The largest image side, pixels.
pub const MAX_DIMENSION: u32 = 4096;
/// The largest tile side, pixels.
pub const MAX_TILE: u32 = 256;
/// The most samples per pixel.
pub const MAX_SAMPLES: u32 = 1024;
/// The most path segments traced per sample.
pub const MAX_BOUNCES: u32 = 32;
/// The most materials of a scene.
pub const MAX_MATERIALS: usize = 16;
/// The most objects of a scene (the largest scene still fits a 4 KiB job input).
pub const MAX_OBJECTS: usize = 128;
/// The largest absolute coordinate.
pub const MAX_COORD: f64 = 10_000.0;
/// The brightest sky channel.
pub const MAX_SKY: f64 = 64.0;
/// The brightest emissive channel (colour × strength).
pub const MAX_EMISSION: f64 = 1_000.0;
/// The narrowest and widest vertical field of view, degrees.
pub const FOV_RANGE: (f64, f64) = (2.0, 178.0);
/// The most tiles (tasks) of a frame: the ledger's default `compute.max_tasks`.
pub const MAX_TASKS: u32 = 4096;

// The fuel bound's terms, measured under plinth-wasm (wasmi 2.0.0's fuel schedule)
// with paths that never end early (a closed mirror room) and rounded up by about
// half: a ray's test against one object costs at most ~630, the rest of a path
// segment (shading, sampling) ~820, a camera sample ~450, a task's instance and
// decoding ~100,000.
const FUEL_PER_TASK: u64 = 1_000_000;
const FUEL_PER_SAMPLE: u64 = 1_000;
const FUEL_PER_SEGMENT: u64 = 1_500;
const FUEL_PER_OBJECT_TEST: u64 = 1_000;

/// A scene: the image to render, the camera, the sky, named materials and the
/// objects made of them. Parsed from TOML ([`Scene::from_toml`]); see
/// `crates/render/scene/demo.toml` for a commented example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    /// Size, tiling and sampling of the image.
    pub image: Image,
    /// Where the picture is taken from.
    pub camera: Camera,
    /// The light arriving from every direction nothing is hit in.
    #[serde(default)]
    pub sky: Sky,
    /// Materials by name (encoded in name order).
    pub materials: BTreeMap<String, Material>,
    /// The objects, in order.
    pub objects: Vec<Object>,
}

/// Size, tiling and sampling of the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Image {
    /// Width, pixels (1..=4096).
    pub width: u32,
    /// Height, pixels (1..=4096).
    pub height: u32,
    /// Side of the square tiles, pixels (1..=256); one task renders one tile.
    #[serde(default = "default_tile")]
    pub tile: u32,
    /// Samples (camera rays) per pixel (1..=1024).
    pub samples: u32,
    /// The most path segments traced per sample (1..=32).
    #[serde(default = "default_bounces")]
    pub max_bounces: u32,
    /// Seed of every random choice; the same seed gives the same picture.
    #[serde(default)]
    pub seed: u32,
}

fn default_tile() -> u32 {
    32
}
fn default_bounces() -> u32 {
    8
}

/// A pinhole camera.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Camera {
    /// The eye.
    pub position: [f64; 3],
    /// The point at the centre of the picture.
    pub look_at: [f64; 3],
    /// The direction that is up in the picture (default +y).
    #[serde(default = "default_up")]
    pub up: [f64; 3],
    /// The vertical field of view, degrees (2..=178).
    pub fov: f64,
}

fn default_up() -> [f64; 3] {
    [0.0, 1.0, 0.0]
}

/// A vertical gradient: `horizon` looking level or down, `zenith` looking up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sky {
    /// Linear RGB looking straight down, blending to `zenith` straight up.
    pub horizon: [f64; 3],
    /// Linear RGB straight up.
    pub zenith: [f64; 3],
}

impl Default for Sky {
    fn default() -> Self {
        Sky {
            horizon: [1.0, 1.0, 1.0],
            zenith: [0.5, 0.7, 1.0],
        }
    }
}

/// How a surface turns light.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Material {
    /// A matte (Lambertian) surface.
    Diffuse {
        /// Albedo per channel, 0..=1.
        color: [f64; 3],
    },
    /// A mirror, blurred by `fuzz`.
    Metal {
        /// Albedo per channel, 0..=1.
        color: [f64; 3],
        /// 0 (a perfect mirror) ..= 1.
        #[serde(default)]
        fuzz: f64,
    },
    /// Glass-like: reflects and refracts (Schlick's Fresnel).
    Dielectric {
        /// Tint per channel, 0..=1 (default clear).
        #[serde(default = "white")]
        color: [f64; 3],
        /// Index of refraction, 1..=4 (glass ≈ 1.5).
        ior: f64,
    },
    /// A light: emits `color × strength`, reflects nothing.
    Emissive {
        /// Colour per channel, 0 and up.
        color: [f64; 3],
        /// Multiplies `color` (default 1); each channel of the product at most 1000.
        #[serde(default = "one")]
        strength: f64,
    },
}

fn white() -> [f64; 3] {
    [1.0, 1.0, 1.0]
}
fn one() -> f64 {
    1.0
}

/// A solid of the scene, with the name of its material.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Object {
    /// A ball.
    Sphere {
        /// Its centre.
        center: [f64; 3],
        /// Its radius, above 0.
        radius: f64,
        /// The name of its material.
        material: String,
    },
    /// An infinite plane: the points `p` with `unit(normal) · p = offset`.
    Plane {
        /// Its normal (any length but zero).
        normal: [f64; 3],
        /// Its signed distance from the origin along the normal.
        #[serde(default)]
        offset: f64,
        /// The name of its material.
        material: String,
    },
    /// An axis-aligned box.
    Box {
        /// The corner with the smallest coordinates.
        min: [f64; 3],
        /// The corner with the largest coordinates (above `min` on every axis).
        max: [f64; 3],
        /// The name of its material.
        material: String,
    },
}

impl Object {
    /// The name of its material.
    pub fn material(&self) -> &str {
        match self {
            Object::Sphere { material, .. }
            | Object::Plane { material, .. }
            | Object::Box { material, .. } => material,
        }
    }
}

/// A field's error.
fn invalid(field: impl Into<String>, reason: impl Into<String>) -> RenderError {
    RenderError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// `value` as fixed point, checked to lie in `[lo, hi]` after rounding.
pub(crate) fn fixed(field: &str, value: f64, lo: f64, hi: f64) -> Result<i32, RenderError> {
    let (qlo, qhi) = (q16(lo).unwrap_or(i32::MIN), q16(hi).unwrap_or(i32::MAX));
    match q16(value) {
        Some(q) if q >= qlo && q <= qhi => Ok(q),
        _ => Err(invalid(
            field,
            format!("must be between {lo} and {hi}, got {value}"),
        )),
    }
}

/// Like [`fixed`] for a vector, naming the component at fault.
pub(crate) fn fixed3(field: &str, v: [f64; 3], lo: f64, hi: f64) -> Result<[i32; 3], RenderError> {
    let mut out = [0; 3];
    for (i, (o, x)) in out.iter_mut().zip(v).enumerate() {
        *o = fixed(&format!("{field}[{i}]"), x, lo, hi)?;
    }
    Ok(out)
}

/// The fixed-point vector's length, as the module computes it.
fn q_length(v: [i32; 3]) -> f64 {
    let f = v.map(|c| f64::from(c) / 65536.0);
    (f[0] * f[0] + f[1] * f[1] + f[2] * f[2]).sqrt()
}

impl Scene {
    /// Parses and checks a scene file.
    pub fn from_toml(text: &str) -> Result<Scene, RenderError> {
        let scene: Scene = toml::from_str(text).map_err(|e| RenderError::Toml(Box::new(e)))?;
        scene.validate()?;
        Ok(scene)
    }

    /// How the image is cut into tiles (tasks). Of a scene that fails
    /// [`Scene::validate`], sizes are clamped into range, so this never panics.
    pub fn tiling(&self) -> Tiling {
        Tiling::clamped(self.image.width, self.image.height, self.image.tile)
    }

    /// The number of tasks of its job: one per tile.
    pub fn tasks(&self) -> u32 {
        self.tiling().tasks()
    }

    /// Where tile `task` lies: `(x, y, width, height)` in pixels.
    pub fn tile_rect(&self, task: u32) -> Result<(u32, u32, u32, u32), RenderError> {
        self.tiling().tile_rect(task)
    }

    /// The length of task `task`'s output: its tile's RGB8 pixels.
    pub fn expected_output_len(&self, task: u32) -> Result<usize, RenderError> {
        self.tiling().expected_output_len(task)
    }

    /// Fuel enough for any of its tasks under `plinth-wasm`: a bound from the
    /// largest tile's pixels, the samples, the bounces and the objects, about 1.5
    /// times the most the module burns when every path runs its full length
    /// (typical scenes use a third of it or less). A job names this as its
    /// `fuel_per_task`; a task that runs out fails as `out_of_fuel` on every machine.
    pub fn fuel_per_task(&self) -> u64 {
        let t = self.tiling();
        let largest = u64::from(t.tile().min(t.width())) * u64::from(t.tile().min(t.height()));
        let per_segment = FUEL_PER_SEGMENT + FUEL_PER_OBJECT_TEST * self.objects.len() as u64;
        let per_sample = FUEL_PER_SAMPLE + u64::from(self.image.max_bounces) * per_segment;
        largest
            .saturating_mul(u64::from(self.image.samples))
            .saturating_mul(per_sample)
            .saturating_add(FUEL_PER_TASK)
    }

    /// The job input ([`crate::input`] describes the format), at most
    /// [`crate::MAX_INPUT_BYTES`] bytes.
    pub fn encode(&self) -> Result<Vec<u8>, RenderError> {
        input::encode(self)
    }

    /// Checks every field; the error names the first one at fault.
    pub fn validate(&self) -> Result<(), RenderError> {
        let im = &self.image;
        let range = |field: &str, v: u32, lo: u32, hi: u32| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(invalid(
                    field,
                    format!("must be between {lo} and {hi}, got {v}"),
                ))
            }
        };
        range("image.width", im.width, 1, MAX_DIMENSION)?;
        range("image.height", im.height, 1, MAX_DIMENSION)?;
        range("image.tile", im.tile, 1, MAX_TILE)?;
        range("image.samples", im.samples, 1, MAX_SAMPLES)?;
        range("image.max_bounces", im.max_bounces, 1, MAX_BOUNCES)?;
        let tasks = self.tasks();
        if tasks > MAX_TASKS {
            return Err(invalid(
                "image.tile",
                format!(
                    "{0}-pixel tiles cut a {1}x{2} image into {tasks} tiles, above the {MAX_TASKS} tasks a job may have",
                    im.tile, im.width, im.height
                ),
            ));
        }

        let cam = &self.camera;
        let position = fixed3("camera.position", cam.position, -MAX_COORD, MAX_COORD)?;
        let look_at = fixed3("camera.look_at", cam.look_at, -MAX_COORD, MAX_COORD)?;
        let up = fixed3("camera.up", cam.up, -MAX_COORD, MAX_COORD)?;
        let (lo, hi) = FOV_RANGE;
        if !(lo..=hi).contains(&cam.fov) {
            return Err(invalid(
                "camera.fov",
                format!("must be between {lo} and {hi} degrees, got {}", cam.fov),
            ));
        }
        let view = [0, 1, 2].map(|i| look_at[i] - position[i]);
        if q_length(view) < 1e-2 {
            return Err(invalid(
                "camera.look_at",
                "must be away from camera.position",
            ));
        }
        if q_length(up) < 1e-2 {
            return Err(invalid("camera.up", "must not be zero"));
        }
        // The module refuses an up along the view (no side vector); be stricter
        // than it is, so no scene passes here that it refuses.
        let (v, u) = (unit(view), unit(up));
        let side = [
            v[1] * u[2] - v[2] * u[1],
            v[2] * u[0] - v[0] * u[2],
            v[0] * u[1] - v[1] * u[0],
        ];
        if (side[0] * side[0] + side[1] * side[1] + side[2] * side[2]).sqrt() < 1e-2 {
            return Err(invalid(
                "camera.up",
                "must not point along the view (camera.look_at - camera.position)",
            ));
        }

        fixed3("sky.horizon", self.sky.horizon, 0.0, MAX_SKY)?;
        fixed3("sky.zenith", self.sky.zenith, 0.0, MAX_SKY)?;

        if self.materials.is_empty() || self.materials.len() > MAX_MATERIALS {
            return Err(invalid(
                "materials",
                format!(
                    "a scene has 1 to {MAX_MATERIALS} materials, got {}",
                    self.materials.len()
                ),
            ));
        }
        for (name, m) in &self.materials {
            let field = format!("materials.{name}");
            material_words(&field, m)?;
        }

        if self.objects.is_empty() || self.objects.len() > MAX_OBJECTS {
            return Err(invalid(
                "objects",
                format!(
                    "a scene has 1 to {MAX_OBJECTS} objects, got {}",
                    self.objects.len()
                ),
            ));
        }
        for (i, o) in self.objects.iter().enumerate() {
            let field = format!("objects[{i}]");
            self.material_index(&field, o.material())?;
            object_words(&field, o)?;
        }
        Ok(())
    }

    /// The index of the material named `name` in the encoding (name order).
    pub(crate) fn material_index(&self, field: &str, name: &str) -> Result<u8, RenderError> {
        self.materials
            .keys()
            .position(|k| k == name)
            .map(|i| i as u8)
            .ok_or_else(|| {
                invalid(
                    format!("{field}.material"),
                    format!("no material named {name:?}"),
                )
            })
    }
}

fn unit(v: [i32; 3]) -> [f64; 3] {
    let l = q_length(v);
    v.map(|c| f64::from(c) / 65536.0 / l)
}

/// A material's kind, colour and parameter as encoded.
pub(crate) fn material_words(
    field: &str,
    m: &Material,
) -> Result<(u8, [i32; 3], i32), RenderError> {
    Ok(match m {
        Material::Diffuse { color } => (0, fixed3(&format!("{field}.color"), *color, 0.0, 1.0)?, 0),
        Material::Metal { color, fuzz } => (
            1,
            fixed3(&format!("{field}.color"), *color, 0.0, 1.0)?,
            fixed(&format!("{field}.fuzz"), *fuzz, 0.0, 1.0)?,
        ),
        Material::Dielectric { color, ior } => (
            2,
            fixed3(&format!("{field}.color"), *color, 0.0, 1.0)?,
            fixed(&format!("{field}.ior"), *ior, 1.0, 4.0)?,
        ),
        Material::Emissive { color, strength } => {
            fixed(&format!("{field}.strength"), *strength, 0.0, MAX_EMISSION)?;
            let product = color.map(|c| c * strength);
            let mut out = [0; 3];
            for i in 0..3 {
                let f = format!("{field}.color[{i}]");
                fixed(&f, color[i], 0.0, MAX_EMISSION)?;
                out[i] = fixed(&format!("{f} x strength"), product[i], 0.0, MAX_EMISSION)?;
            }
            (3, out, 0)
        }
    })
}

/// An object's kind and six parameter words as encoded.
pub(crate) fn object_words(field: &str, o: &Object) -> Result<(u8, [i32; 6]), RenderError> {
    let coord =
        |name: &str, v: [f64; 3]| fixed3(&format!("{field}.{name}"), v, -MAX_COORD, MAX_COORD);
    Ok(match o {
        Object::Sphere { center, radius, .. } => {
            let c = coord("center", *center)?;
            let r = fixed(
                &format!("{field}.radius"),
                *radius,
                1.0 / 65536.0,
                MAX_COORD,
            )?;
            (0, [c[0], c[1], c[2], r, 0, 0])
        }
        Object::Plane { normal, offset, .. } => {
            let n = coord("normal", *normal)?;
            if q_length(n) < 1e-2 {
                return Err(invalid(format!("{field}.normal"), "must not be zero"));
            }
            let d = fixed(&format!("{field}.offset"), *offset, -MAX_COORD, MAX_COORD)?;
            (1, [n[0], n[1], n[2], d, 0, 0])
        }
        Object::Box { min, max, .. } => {
            let lo = coord("min", *min)?;
            let hi = coord("max", *max)?;
            if (0..3).any(|i| lo[i] >= hi[i]) {
                return Err(invalid(
                    format!("{field}.max"),
                    "must be above min on every axis",
                ));
            }
            (2, [lo[0], lo[1], lo[2], hi[0], hi[1], hi[2]])
        }
    })
}
