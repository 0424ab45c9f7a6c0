//! The scene file: parsing, the checks (each naming its field), the encoding.

use super::small_scene;
use plinth_render::input::{HEADER_BYTES, MATERIAL_BYTES, OBJECT_BYTES};
use plinth_render::scene::{MAX_MATERIALS, MAX_OBJECTS};
use plinth_render::{RenderError, Scene, Tiling, DEMO_SCENE, MAX_INPUT_BYTES};

/// The demo scene's text with `from` replaced by `to` (which must occur).
fn demo_with(from: &str, to: &str) -> String {
    assert!(DEMO_SCENE.contains(from), "the demo scene has {from:?}");
    DEMO_SCENE.replacen(from, to, 1)
}

/// The field a scene text is refused for.
fn refused_field(text: &str) -> String {
    match Scene::from_toml(text) {
        Err(RenderError::Invalid { field, reason }) => {
            assert!(!reason.is_empty());
            field
        }
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[test]
fn demo_scene_is_48_tiles_in_a_small_input() {
    let scene = Scene::from_toml(DEMO_SCENE).unwrap();
    assert_eq!(
        (scene.image.width, scene.image.height, scene.image.tile),
        (256, 192, 32)
    );
    assert_eq!(scene.tasks(), 48);
    let input = scene.encode().unwrap();
    assert_eq!(&input[..4], b"PLRS");
    assert_eq!(
        input.len(),
        HEADER_BYTES + MATERIAL_BYTES * scene.materials.len() + OBJECT_BYTES * scene.objects.len()
    );
    assert!(input.len() <= MAX_INPUT_BYTES);
    assert_eq!(Tiling::from_input(&input).unwrap(), scene.tiling());
    // The same scene, the same bytes.
    assert_eq!(
        Scene::from_toml(DEMO_SCENE).unwrap().encode().unwrap(),
        input
    );
}

#[test]
fn header_layout() {
    let mut scene = small_scene(64, 48, 16, 4);
    scene.image.seed = 0xdead_beef;
    scene.camera.fov = 90.0;
    let input = scene.encode().unwrap();
    let u16_at = |at: usize| u16::from_le_bytes([input[at], input[at + 1]]);
    let i32_at = |at: usize| i32::from_le_bytes(input[at..at + 4].try_into().unwrap());
    assert_eq!(u16_at(4), 1); // version
    assert_eq!(
        (u16_at(6), u16_at(8), u16_at(10), u16_at(12)),
        (64, 48, 16, 4)
    );
    assert_eq!((input[14], input[15], input[16]), (5, 4, 5)); // bounces, materials, objects
    assert_eq!(&input[17..20], &[0, 0, 0]);
    assert_eq!(
        u32::from_le_bytes(input[20..24].try_into().unwrap()),
        0xdead_beef
    );
    assert_eq!(i32_at(28), 65536); // camera y = 1.0 in q16
    assert_eq!(i32_at(60), 65536); // tan(90° / 2) = 1
                                   // Materials in name order: floor, glass, lamp, mirror.
    let kinds: Vec<u8> = (0..4)
        .map(|i| input[HEADER_BYTES + i * MATERIAL_BYTES])
        .collect();
    assert_eq!(kinds, [0, 2, 3, 1]);
    // The lamp's colour is colour × strength: 8.0 in q16.
    assert_eq!(i32_at(HEADER_BYTES + 2 * MATERIAL_BYTES + 4), 8 * 65536);
    // The second object (a floor-coloured sphere) names material 0, the third (the lamp) 2.
    let objects = HEADER_BYTES + 4 * MATERIAL_BYTES;
    assert_eq!(input[objects + OBJECT_BYTES + 1], 0);
    assert_eq!(input[objects + 2 * OBJECT_BYTES + 1], 2);
}

#[test]
fn each_check_names_its_field() {
    let cases = [
        ("width = 256", "width = 0", "image.width"),
        ("height = 192", "height = 5000", "image.height"),
        ("tile = 32 ", "tile = 300 ", "image.tile"),
        ("samples = 32", "samples = 0", "image.samples"),
        ("max_bounces = 6", "max_bounces = 33", "image.max_bounces"),
        ("fov = 38.0", "fov = 1.0", "camera.fov"),
        ("fov = 38.0", "fov = nan", "camera.fov"),
        (
            "position = [0.0, 1.3, 5.0]",
            "position = [0.0, 1.3, 10001.0]",
            "camera.position[2]",
        ),
        (
            "look_at = [0.0, 0.6, 0.0]",
            "look_at = [0.0, 1.3, 5.0]",
            "camera.look_at",
        ),
        (
            "fov = 38.0",
            "fov = 38.0\nup = [0.0, 0.0, 0.0]",
            "camera.up",
        ),
        (
            "fov = 38.0",
            "fov = 38.0\nup = [0.0, -0.7, -5.0]",
            "camera.up",
        ),
        (
            "zenith = [0.25, 0.40, 0.75]",
            "zenith = [0.25, -0.1, 0.75]",
            "sky.zenith[1]",
        ),
        (
            "color = [0.80, 0.30, 0.22]",
            "color = [1.5, 0.30, 0.22]",
            "materials.clay.color[0]",
        ),
        ("fuzz = 0.08", "fuzz = 2.0", "materials.steel.fuzz"),
        ("ior = 1.5", "ior = 0.5", "materials.glass.ior"),
        (
            "strength = 4.0",
            "strength = 1500.0",
            "materials.lamp.strength",
        ),
        (
            "color = [1.0, 0.85, 0.6]",
            "color = [300.0, 0.85, 0.6]",
            "materials.lamp.color[0] x strength",
        ),
        ("radius = 0.55", "radius = -1.0", "objects[2].radius"),
        ("radius = 0.55", "radius = 0.000001", "objects[2].radius"),
        ("radius = 0.55", "radius = inf", "objects[2].radius"),
        (
            "material = \"glass\"",
            "material = \"crystal\"",
            "objects[2].material",
        ),
        (
            "normal = [0.0, 1.0, 0.0]",
            "normal = [0.0, 0.0, 0.0]",
            "objects[0].normal",
        ),
        (
            "max = [0.6, 0.3, 0.6]",
            "max = [0.6, 0.0, 0.6]",
            "objects[5].max",
        ),
    ];
    for (from, to, field) in cases {
        assert_eq!(refused_field(&demo_with(from, to)), field, "{to}");
    }
    // Too many tiles for a job.
    let text = demo_with("width = 256", "width = 4096")
        .replacen("height = 192", "height = 4096", 1)
        .replacen("tile = 32 ", "tile = 16 ", 1);
    assert_eq!(refused_field(&text), "image.tile");
}

#[test]
fn unknown_and_missing_fields_are_toml_errors() {
    for (text, needle) in [
        (demo_with("seed = 16", "seed = 16\ncolour = 3"), "colour"),
        (
            demo_with("fuzz = 0.08", "fuzz = 0.08\nshine = 1.0"),
            "shine",
        ),
        (demo_with("kind = \"metal\"", "kind = \"chrome\""), "chrome"),
        (demo_with("radius = 0.55\n", ""), "radius"),
        ("[image]\nwidth = 1".to_string(), "height"),
    ] {
        match Scene::from_toml(&text) {
            Err(e @ RenderError::Toml(_)) => {
                assert!(e.to_string().contains(needle), "{needle}: {e}")
            }
            other => panic!("{needle}: expected a TOML error, got {other:?}"),
        }
    }
}

#[test]
fn counts_are_bounded_and_the_largest_scene_fits_a_job_input() {
    let mut scene = small_scene(64, 48, 16, 1);
    scene.objects.clear();
    assert_eq!(scene.validate().unwrap_err().field(), Some("objects"));
    let sphere = small_scene(8, 8, 8, 1).objects[1].clone();
    scene.objects = vec![sphere; MAX_OBJECTS];
    let materials = scene.materials.clone();
    let extra = materials.values().next().unwrap().clone();
    for i in scene.materials.len()..MAX_MATERIALS {
        scene.materials.insert(format!("extra{i}"), extra.clone());
    }
    let input = scene.encode().unwrap();
    assert_eq!(
        input.len(),
        HEADER_BYTES + MATERIAL_BYTES * MAX_MATERIALS + OBJECT_BYTES * MAX_OBJECTS
    );
    assert!(input.len() <= MAX_INPUT_BYTES, "{} bytes", input.len());

    let mut more = scene.clone();
    more.objects.push(more.objects[0].clone());
    assert_eq!(more.encode().unwrap_err().field(), Some("objects"));
    scene.materials.insert("one_too_many".into(), extra);
    assert_eq!(scene.encode().unwrap_err().field(), Some("materials"));
}

#[test]
fn defaults_fill_optional_fields() {
    let scene = Scene::from_toml(
        r#"
[image]
width = 10
height = 10
samples = 1
[camera]
position = [0.0, 0.0, 1.0]
look_at = [0.0, 0.0, 0.0]
fov = 60.0
[materials.glass]
kind = "dielectric"
ior = 1.3
[[objects]]
kind = "plane"
normal = [0.0, 1.0, 0.0]
material = "glass"
"#,
    )
    .unwrap();
    assert_eq!(
        (scene.image.tile, scene.image.max_bounces, scene.image.seed),
        (32, 8, 0)
    );
    assert_eq!(scene.camera.up, [0.0, 1.0, 0.0]);
    assert_eq!(scene.tasks(), 1);
    assert_eq!(scene.tile_rect(0).unwrap(), (0, 0, 10, 10));
    scene.encode().unwrap();
}
