//! The committed module: its ABI, its rebuild from source, and tasks through the
//! runtime (`plinth-wasm`): deterministic, non-trivial pictures; refusals of
//! crafted inputs with a code, never a trap.

use super::small_scene;
use plinth_render::{Frame, Scene, Tiling, ERR_MALFORMED, ERR_TASK, MODULE};
use plinth_wasm::WasmError;
use std::path::Path;
use std::process::Command;

/// Fuel for the small scenes of these tests (each task burns a few million).
const FUEL: u64 = 2_000_000_000;

/// The module's sections as (id, payload), walked by hand: no parser needed for
/// the three sections this checks.
fn sections(wasm: &[u8]) -> Vec<(u8, &[u8])> {
    fn leb(b: &[u8], i: &mut usize) -> usize {
        let (mut v, mut shift) = (0usize, 0);
        loop {
            let byte = b[*i];
            *i += 1;
            v |= usize::from(byte & 0x7f) << shift;
            shift += 7;
            if byte < 0x80 {
                return v;
            }
        }
    }
    assert_eq!(&wasm[..8], b"\0asm\x01\0\0\0");
    let (mut i, mut out) = (8, Vec::new());
    while i < wasm.len() {
        let id = wasm[i];
        i += 1;
        let len = leb(wasm, &mut i);
        out.push((id, &wasm[i..i + len]));
        i += len;
    }
    out
}

#[test]
fn module_imports_nothing_and_exports_the_abi() {
    let sections = sections(MODULE);
    let ids: Vec<u8> = sections.iter().map(|(id, _)| *id).collect();
    assert!(!ids.contains(&2), "an import section: {ids:?}");
    assert!(
        !ids.contains(&0),
        "a custom section (names, producers): {ids:?}"
    );
    let exports = sections.iter().find(|(id, _)| *id == 7).expect("exports").1;
    // count, then (name length, name, kind, index) each; all short here.
    let mut names = Vec::new();
    let mut i = 1;
    for _ in 0..exports[0] {
        let len = usize::from(exports[i]);
        names.push((
            String::from_utf8(exports[i + 1..i + 1 + len].to_vec()).unwrap(),
            exports[i + 1 + len],
        ));
        i += len + 3;
    }
    names.sort();
    let want = [("memory", 2), ("plinth_alloc", 0), ("plinth_task", 0)];
    assert_eq!(names, want.map(|(n, k)| (n.to_string(), k)));

    // And the runtime agrees: it refuses any import and checks the signatures.
    let module = plinth_render::load().unwrap();
    module.check_entry("plinth_task").unwrap();
    assert_eq!(
        plinth_render::module_hash(),
        plinth_core::Hash::tagged("plinth/wasm-module", MODULE)
    );
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn committed_module_rebuilds_to_the_same_bytes() {
    if !have("clang") || !have("wasm-ld") {
        eprintln!(
            "NOTE: clang or wasm-ld missing (apt-get install clang lld): render.wasm not rebuilt; scripts/test installs them"
        );
        return;
    }
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out =
        std::env::temp_dir().join(format!("plinth-render-rebuild-{}.wasm", std::process::id()));
    let status = Command::new("bash")
        .arg(crate_dir.join("build.sh"))
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "build.sh failed");
    let rebuilt = std::fs::read(&out).unwrap();
    std::fs::remove_file(&out).ok();
    assert!(
        rebuilt == MODULE,
        "crates/render/render.wasm is not what build.sh makes of wasm/render.c: run crates/render/build.sh and commit render.wasm (it was built with Debian 12's clang and lld 14.0.6)"
    );
}

/// Renders every tile of `scene`.
fn render(module: &plinth_wasm::Module, scene: &Scene) -> Frame {
    let input = scene.encode().unwrap();
    let mut frame = Frame::new(scene.tiling());
    for task in 0..scene.tasks() {
        let out = module.run_task(&input, task, FUEL).unwrap();
        assert!(
            out.fuel_used <= scene.fuel_per_task(),
            "task {task}: {} fuel",
            out.fuel_used
        );
        frame.insert(task, &out.output).unwrap();
    }
    frame
}

/// Where a world point lands in the picture (the module's camera, in f64).
fn project(scene: &Scene, p: [f64; 3]) -> (usize, usize) {
    let sub = |a: [f64; 3], b: [f64; 3]| [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    let dot = |a: [f64; 3], b: [f64; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    let cross = |a: [f64; 3], b: [f64; 3]| {
        [
            a[1] * b[2] - a[2] * b[1],
            a[2] * b[0] - a[0] * b[2],
            a[0] * b[1] - a[1] * b[0],
        ]
    };
    let unit = |a: [f64; 3]| {
        let l = dot(a, a).sqrt();
        [a[0] / l, a[1] / l, a[2] / l]
    };
    let cam = &scene.camera;
    let forward = unit(sub(cam.look_at, cam.position));
    let right = unit(cross(forward, unit(cam.up)));
    let up = cross(right, forward);
    let d = sub(p, cam.position);
    let z = dot(d, forward);
    let tan = (cam.fov.to_radians() / 2.0).tan();
    let (w, h) = (f64::from(scene.image.width), f64::from(scene.image.height));
    let sx = dot(d, right) / z / (tan * w / h);
    let sy = dot(d, up) / z / tan;
    (
        ((sx + 1.0) / 2.0 * w) as usize,
        ((1.0 - sy) / 2.0 * h) as usize,
    )
}

fn luminance(frame: &Frame, (x, y): (usize, usize)) -> u32 {
    let at = (y * frame.tiling().width() as usize + x) * 3;
    frame.rgb()[at..at + 3].iter().map(|c| u32::from(*c)).sum()
}

#[test]
fn small_render_is_deterministic_and_a_real_picture() {
    let module = plinth_render::load().unwrap();
    let scene = small_scene(64, 48, 16, 8);
    let first = render(&module, &scene);
    assert!(first.is_complete());
    assert_eq!(render(&module, &scene), first, "two runs differ");

    // The tiling does not change a pixel: each pixel's randomness is its own.
    let mut retiled = scene.clone();
    retiled.image.tile = 24;
    assert_ne!(retiled.tasks(), scene.tasks());
    assert_eq!(render(&module, &retiled).rgb(), first.rgb());
    // The seed does.
    let mut reseeded = scene.clone();
    reseeded.image.seed += 1;
    assert_ne!(render(&module, &reseeded).rgb(), first.rgb());

    let mut colours: Vec<&[u8]> = first.rgb().chunks(3).collect();
    colours.sort();
    colours.dedup();
    assert!(colours.len() > 200, "only {} colours", colours.len());

    // The lamp is brightest; the floor in the matte ball's contact shadow is dark;
    // the open floor in front is lit.
    let lamp = luminance(&first, project(&scene, [1.0, 0.5, 0.0]));
    let shadow = luminance(&first, project(&scene, [-1.0, 0.0, 0.25]));
    let open_floor = luminance(&first, project(&scene, [0.0, 0.0, 2.0]));
    assert!(lamp >= 3 * 250, "lamp {lamp}");
    assert!(
        shadow + 60 < open_floor,
        "shadow {shadow}, open floor {open_floor}"
    );
}

/// The runtime's outcome of `input` for task 0: a refusal by the module, a full
/// tile, or fuel running out; never a trap or a bad output.
fn outcome(module: &plinth_wasm::Module, input: &[u8], fuel: u64) -> Result<usize, u32> {
    match module.run_task(input, 0, fuel) {
        Ok(out) => {
            let tiling = Tiling::from_input(input).expect("the module accepted the header");
            assert_eq!(out.output.len(), tiling.expected_output_len(0).unwrap());
            Ok(out.output.len())
        }
        Err(WasmError::TaskFailed(code)) => Err(code),
        Err(WasmError::OutOfFuel) => Err(0),
        Err(e) => panic!("input {input:?}: {e}"),
    }
}

#[test]
fn crafted_inputs_are_refused_with_a_code() {
    let module = plinth_render::load().unwrap();
    let input = small_scene(8, 8, 8, 1).encode().unwrap();
    assert_eq!(outcome(&module, &input, FUEL), Ok(8 * 8 * 3));

    for len in 0..input.len() {
        assert_eq!(
            outcome(&module, &input[..len], FUEL),
            Err(ERR_MALFORMED as u32),
            "{len} bytes"
        );
    }
    let mut longer = input.clone();
    longer.push(0);
    assert_eq!(outcome(&module, &longer, FUEL), Err(ERR_MALFORMED as u32));
    assert_eq!(outcome(&module, b"PLRS", FUEL), Err(ERR_MALFORMED as u32));

    // Every byte set to 0, to 0xff and with its top bit flipped: refused, or a
    // valid scene rendered; fuel is capped so that a scene made expensive stops.
    let mut accepted = 0;
    for at in 0..input.len() {
        for value in [0, 0xff, input[at] ^ 0x80] {
            let mut bad = input.clone();
            bad[at] = value;
            if outcome(&module, &bad, 20_000_000).is_ok() {
                accepted += 1;
            }
        }
    }
    assert!(accepted > 0, "some mutations are still valid scenes");

    // Task indices past the last tile (the i32 -1 included).
    let scene = small_scene(64, 48, 16, 1);
    let input = scene.encode().unwrap();
    for task in [scene.tasks(), scene.tasks() + 1, u32::MAX, i32::MAX as u32] {
        assert_eq!(
            module.run_task(&input, task, FUEL).unwrap_err(),
            WasmError::TaskFailed(ERR_TASK as u32)
        );
    }
}

mod random_inputs {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        /// Random bytes behind a valid magic and version: refused or rendered
        /// within a small fuel cap, never a trap.
        #[test]
        fn random_bodies_never_trap(body in proptest::collection::vec(any::<u8>(), 0..400)) {
            let module = plinth_render::load().unwrap();
            let mut input = b"PLRS\x01\x00".to_vec();
            input.extend_from_slice(&body);
            let _ = super::outcome(&module, &input, 20_000_000);
        }
    }
}

/// A closed mirror room around the camera (every path runs its full length) with
/// `extra` objects of `kind` out of sight: the dearest scene per pixel.
fn mirror_room(kind: &str, extra: usize, bounces: u32) -> Scene {
    let mut text = format!(
        r#"
[image]
width = 4
height = 4
samples = 2
max_bounces = {bounces}
[camera]
position = [0.0, 0.0, 0.0]
look_at = [0.0, 0.0, -1.0]
fov = 90.0
[materials.mirror]
kind = "metal"
color = [0.9, 0.9, 0.9]
fuzz = 0.3
[materials.matte]
kind = "diffuse"
color = [0.5, 0.5, 0.5]
[[objects]]
kind = "box"
min = [-10.0, -10.0, -10.0]
max = [10.0, 10.0, 10.0]
material = "mirror"
"#
    );
    for i in 0..extra {
        let x = -8.0 + (i % 16) as f64;
        let z = -8.0 + (i / 16) as f64;
        text += &match kind {
            "box" => format!(
                "[[objects]]\nkind = \"box\"\nmin = [{x}, 20.0, {z}]\nmax = [{}, 21.0, {}]\nmaterial = \"matte\"\n",
                x + 0.5,
                z + 0.5
            ),
            "sphere" => format!(
                "[[objects]]\nkind = \"sphere\"\ncenter = [{x}, 20.0, {z}]\nradius = 0.2\nmaterial = \"matte\"\n"
            ),
            _ => format!(
                "[[objects]]\nkind = \"plane\"\nnormal = [0.0, 1.0, 0.0]\noffset = {}\nmaterial = \"matte\"\n",
                30.0 + i as f64
            ),
        };
    }
    Scene::from_toml(&text).unwrap()
}

#[test]
fn fuel_per_task_bounds_the_fuel_burnt() {
    let module = plinth_render::load().unwrap();
    let mut scenes = vec![
        small_scene(30, 20, 16, 3),
        Scene::from_toml(plinth_render::DEMO_SCENE).unwrap(),
    ];
    // The demo at a sixty-fourth of its pixels and a sixteenth of its samples.
    scenes[1].image.width = 32;
    scenes[1].image.height = 24;
    scenes[1].image.tile = 8;
    scenes[1].image.samples = 2;
    for kind in ["box", "sphere", "plane"] {
        scenes.push(mirror_room(kind, 0, 32));
        scenes.push(mirror_room(kind, 127, 8));
    }
    for scene in &scenes {
        let input = scene.encode().unwrap();
        let bound = scene.fuel_per_task();
        let mut most = 0;
        for task in 0..scene.tasks() {
            let used = module.run_task(&input, task, bound).unwrap().fuel_used;
            most = most.max(used);
        }
        eprintln!(
            "{} objects: most {most} of {bound} fuel",
            scene.objects.len()
        );
        assert!(most <= bound);
    }
}
