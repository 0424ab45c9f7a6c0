//! Plinth's demo compute workload: a deterministic path tracer that providers run
//! tile by tile, and everything a consumer needs around it.
//!
//! ```text
//!  scene.toml ─▶ Scene::from_toml ─▶ Scene::encode ─▶ job input (≤ 4 KiB)
//!                                                        │  one task per tile
//!                          MODULE (render.wasm) ─────────┤  provider: plinth_task(input, i)
//!                                                        ▼
//!        Frame::insert(i, tile RGB8) × Scene::tasks() ─▶ Frame::to_png ─▶ frame.png
//! ```
//!
//! The renderer is freestanding C (`crates/render/wasm/render.c`) compiled to
//! WebAssembly by `crates/render/build.sh` (Debian's clang and lld, pinned flags);
//! the module is committed as `crates/render/render.wasm` and the tests rebuild it
//! and compare the bytes. It implements the Plinth task ABI v1 (exports `memory`,
//! `plinth_alloc`, `plinth_task`; imports nothing): task `i` renders tile `i`
//! (row-major) and returns its RGB8 pixels, row-major. A Monte-Carlo path tracer:
//! spheres, planes and boxes; diffuse, metal (with fuzz), dielectric and emissive
//! materials; a sky gradient; every random choice from a PCG32 seeded by the
//! scene's seed, the pixel and the sample, so a pixel's colour depends on neither
//! the tile size nor the machine.
//!
//! Modules:
//!
//! - [`scene`]: the scene file and its checks (errors name the field).
//! - [`input`]: the job input's binary format (documented there) and its encoder.
//! - [`frame`]: tiles ([`Tiling`]) and the picture assembled from them ([`Frame`]).
//!
//! ```
//! use plinth_render::{Frame, Scene};
//!
//! let scene = Scene::from_toml(plinth_render::DEMO_SCENE)?;
//! let input = scene.encode()?; // the job's input; the job's module is MODULE
//! let mut frame = Frame::new(scene.tiling());
//! for task in 0..scene.tasks() {
//!     // A provider runs MODULE on `input` for `task`; here, a grey tile.
//!     let output = vec![128; scene.expected_output_len(task)?];
//!     frame.insert(task, &output)?;
//! }
//! assert!(frame.is_complete());
//! let png = frame.to_png();
//! # assert!(!input.is_empty() && !png.is_empty());
//! # Ok::<(), plinth_render::RenderError>(())
//! ```

#![warn(missing_docs)]

pub mod frame;
pub mod input;
pub mod scene;

pub use frame::{Frame, Tiling};
pub use scene::{Camera, Image, Material, Object, Scene, Sky};

use plinth_core::Hash;
use plinth_wasm::{Limits, WasmError};

/// The renderer: WebAssembly implementing the Plinth task ABI v1, built from
/// `crates/render/wasm/render.c` by `crates/render/build.sh`.
pub const MODULE: &[u8] = include_bytes!("../render.wasm");

/// The demo scene (`crates/render/scene/demo.toml`).
pub const DEMO_SCENE: &str = include_str!("../scene/demo.toml");

/// The largest job input: the ledger's default `compute.max_input_bytes`.
pub const MAX_INPUT_BYTES: usize = 4096;

/// What [`MODULE`]'s `plinth_task` returns, negated, for an input it refuses
/// (any field out of its range, a wrong length).
pub const ERR_MALFORMED: i64 = 1;
/// What `plinth_task` returns, negated, for a task index beyond the last tile.
pub const ERR_TASK: i64 = 2;
/// What `plinth_task` returns, negated, when memory cannot grow for the tile.
pub const ERR_MEMORY: i64 = 3;

/// The hash the ledger names [`MODULE`] by (as `plinth_ledger::compute::module_hash`
/// computes it).
pub fn module_hash() -> Hash {
    Hash::tagged("plinth/wasm-module", MODULE)
}

/// Compiles [`MODULE`] for [`plinth_wasm`] under the default limits.
pub fn load() -> Result<plinth_wasm::Module, WasmError> {
    plinth_wasm::Module::new(MODULE, Limits::default())
}

/// Renders a whole scene here, task by task, each within `fuel_per_task`: what
/// the providers of a job would return, assembled (tests, previews, checks).
pub fn render_local(scene: &Scene, fuel_per_task: u64) -> Result<Frame, RenderError> {
    let input = scene.encode()?;
    let module = load().map_err(|error| RenderError::Wasm { task: None, error })?;
    let mut frame = Frame::new(scene.tiling());
    for task in 0..scene.tasks() {
        let out = module
            .run_task(&input, task, fuel_per_task)
            .map_err(|error| RenderError::Wasm {
                task: Some(task),
                error,
            })?;
        frame.insert(task, &out.output)?;
    }
    Ok(frame)
}

/// Why a scene, an input or a tile was refused.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The scene file is not valid TOML or does not have the scene's shape.
    #[error("scene file: {0}")]
    Toml(Box<toml::de::Error>),
    /// A field of the scene is out of range.
    #[error("scene: {field}: {reason}")]
    Invalid {
        /// The field, as written in the scene file (`objects[2].radius`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The encoded scene is larger than a job input may be.
    #[error("the encoded scene is {len} bytes, above the {max}-byte limit of a job input")]
    InputTooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Bytes that are not a render job input.
    #[error("not a render job input: {reason}")]
    BadInput {
        /// What is wrong with them.
        reason: &'static str,
    },
    /// A task index beyond the last tile.
    #[error("task {task} is out of range: the frame has {tasks} tiles")]
    TaskOutOfRange {
        /// The index.
        task: u32,
        /// The number of tiles.
        tasks: u32,
    },
    /// A tile output of the wrong length.
    #[error("tile {task} is {len} bytes, expected {expected}")]
    TileLength {
        /// The task.
        task: u32,
        /// Its output's length.
        len: usize,
        /// Its tile's `width × height × 3`.
        expected: usize,
    },
    /// The runtime refused the module or a task failed.
    #[error("{}: {error}", match task { Some(t) => format!("task {t}"), None => "module".to_string() })]
    Wasm {
        /// The task, or `None` when the module did not load.
        task: Option<u32>,
        /// What the runtime said.
        #[source]
        error: WasmError,
    },
}

impl RenderError {
    /// The field at fault, for [`RenderError::Invalid`].
    pub fn field(&self) -> Option<&str> {
        match self {
            RenderError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}
