//! Tiles and the frame they make: which pixels each task renders, and the picture
//! assembled from the tasks' outputs.

use crate::input::{HEADER_BYTES, MAGIC, VERSION};
use crate::scene::{MAX_DIMENSION, MAX_TILE};
use crate::RenderError;

/// How an image is cut into square tiles, one task each, numbered row-major; the
/// tiles of the right and bottom edges are smaller when the tile does not divide
/// the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tiling {
    width: u32,
    height: u32,
    tile: u32,
}

impl Tiling {
    /// A tiling of a `width × height` image (each 1..=4096) in `tile`-pixel tiles
    /// (1..=256).
    pub fn new(width: u32, height: u32, tile: u32) -> Result<Tiling, RenderError> {
        let check = |field: &str, v: u32, hi: u32| {
            if (1..=hi).contains(&v) {
                Ok(())
            } else {
                Err(RenderError::Invalid {
                    field: field.into(),
                    reason: format!("must be between 1 and {hi}, got {v}"),
                })
            }
        };
        check("image.width", width, MAX_DIMENSION)?;
        check("image.height", height, MAX_DIMENSION)?;
        check("image.tile", tile, MAX_TILE)?;
        Ok(Tiling {
            width,
            height,
            tile,
        })
    }

    /// Like [`Tiling::new`], clamping each size into range instead.
    pub(crate) fn clamped(width: u32, height: u32, tile: u32) -> Tiling {
        Tiling {
            width: width.clamp(1, MAX_DIMENSION),
            height: height.clamp(1, MAX_DIMENSION),
            tile: tile.clamp(1, MAX_TILE),
        }
    }

    /// Image width, pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Image height, pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Tile side, pixels.
    pub fn tile(&self) -> u32 {
        self.tile
    }

    /// The tiling a job input names (its header only: the module checks the rest).
    /// For those who hold a job's input but not its scene file.
    pub fn from_input(input: &[u8]) -> Result<Tiling, RenderError> {
        let bad = |reason| Err(RenderError::BadInput { reason });
        if input.len() < HEADER_BYTES {
            return bad("shorter than the header");
        }
        if input[0..4] != MAGIC {
            return bad("not a render input (magic is not \"PLRS\")");
        }
        if u16::from_le_bytes([input[4], input[5]]) != VERSION {
            return bad("unknown version");
        }
        let word = |at: usize| u32::from(u16::from_le_bytes([input[at], input[at + 1]]));
        Tiling::new(word(6), word(8), word(10))
    }

    /// Tiles per row.
    pub fn columns(&self) -> u32 {
        self.width.div_ceil(self.tile)
    }

    /// Tiles per column.
    pub fn rows(&self) -> u32 {
        self.height.div_ceil(self.tile)
    }

    /// The number of tiles (tasks).
    pub fn tasks(&self) -> u32 {
        self.columns() * self.rows()
    }

    /// Where tile `task` lies: `(x, y, width, height)` in pixels.
    pub fn tile_rect(&self, task: u32) -> Result<(u32, u32, u32, u32), RenderError> {
        if task >= self.tasks() {
            return Err(RenderError::TaskOutOfRange {
                task,
                tasks: self.tasks(),
            });
        }
        let x = (task % self.columns()) * self.tile;
        let y = (task / self.columns()) * self.tile;
        Ok((
            x,
            y,
            self.tile.min(self.width - x),
            self.tile.min(self.height - y),
        ))
    }

    /// The length of task `task`'s output: its tile's RGB8 pixels.
    pub fn expected_output_len(&self, task: u32) -> Result<usize, RenderError> {
        let (_, _, w, h) = self.tile_rect(task)?;
        Ok(w as usize * h as usize * 3)
    }
}

/// A picture being assembled from tile outputs. Tiles not inserted yet are black.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    tiling: Tiling,
    rgb: Vec<u8>,
    done: Vec<bool>,
}

impl Frame {
    /// An empty (black) frame of this tiling.
    pub fn new(tiling: Tiling) -> Frame {
        Frame {
            tiling,
            rgb: vec![0; tiling.width as usize * tiling.height as usize * 3],
            done: vec![false; tiling.tasks() as usize],
        }
    }

    /// The tiling it is made of.
    pub fn tiling(&self) -> Tiling {
        self.tiling
    }

    /// Puts task `task`'s output in place (replacing an earlier copy); refuses an
    /// unknown task or an output of the wrong length.
    pub fn insert(&mut self, task: u32, output: &[u8]) -> Result<(), RenderError> {
        let (x, y, w, h) = self.tiling.tile_rect(task)?;
        let expected = w as usize * h as usize * 3;
        if output.len() != expected {
            return Err(RenderError::TileLength {
                task,
                len: output.len(),
                expected,
            });
        }
        let stride = self.tiling.width as usize * 3;
        let row = w as usize * 3;
        for (r, src) in output.chunks_exact(row).enumerate() {
            let at = (y as usize + r) * stride + x as usize * 3;
            self.rgb[at..at + row].copy_from_slice(src);
        }
        debug_assert!(h as usize * row == output.len());
        self.done[task as usize] = true;
        Ok(())
    }

    /// Whether every tile is in.
    pub fn is_complete(&self) -> bool {
        self.done.iter().all(|d| *d)
    }

    /// The tasks whose tiles are not in yet, ascending.
    pub fn missing(&self) -> Vec<u32> {
        (0..self.tiling.tasks())
            .filter(|t| !self.done[*t as usize])
            .collect()
    }

    /// The pixels: RGB8, row-major, `width × height × 3` bytes.
    pub fn rgb(&self) -> &[u8] {
        &self.rgb
    }

    /// The picture as a PNG file (8-bit RGB).
    pub fn to_png(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, self.tiling.width, self.tiling.height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        // Writing to memory cannot fail, and the header matches the pixels: a
        // Tiling's size is never zero and `rgb` is exactly width × height × 3.
        let mut writer = encoder
            .write_header()
            .expect("PNG header written to memory");
        writer
            .write_image_data(&self.rgb)
            .expect("PNG data of the declared size written to memory");
        writer.finish().expect("PNG finished in memory");
        out
    }
}
