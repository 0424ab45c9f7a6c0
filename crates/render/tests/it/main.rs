//! plinth-render's integration tests: one binary (`mod` files beside this one).

mod frame;
mod module;
mod scene;

use plinth_render::Scene;

/// A small scene: `width × height`, `tile`-pixel tiles, a lamp, a mirror ball, a
/// glass box and a matte ball on a floor.
pub fn small_scene(width: u32, height: u32, tile: u32, samples: u32) -> Scene {
    Scene::from_toml(&format!(
        r#"
[image]
width = {width}
height = {height}
tile = {tile}
samples = {samples}
max_bounces = 5
seed = 3

[camera]
position = [0.0, 1.0, 4.0]
look_at = [0.0, 0.5, 0.0]
fov = 45.0

[sky]
horizon = [0.6, 0.6, 0.6]
zenith = [0.2, 0.3, 0.6]

[materials.floor]
kind = "diffuse"
color = [0.6, 0.6, 0.6]

[materials.lamp]
kind = "emissive"
color = [1.0, 0.9, 0.7]
strength = 8.0

[materials.mirror]
kind = "metal"
color = [0.9, 0.9, 0.9]
fuzz = 0.1

[materials.glass]
kind = "dielectric"
ior = 1.5

[[objects]]
kind = "plane"
normal = [0.0, 1.0, 0.0]
material = "floor"

[[objects]]
kind = "sphere"
center = [-1.0, 0.5, 0.0]
radius = 0.5
material = "floor"

[[objects]]
kind = "sphere"
center = [1.0, 0.5, 0.0]
radius = 0.5
material = "lamp"

[[objects]]
kind = "sphere"
center = [0.0, 0.4, -1.0]
radius = 0.4
material = "mirror"

[[objects]]
kind = "box"
min = [-0.3, 0.0, 0.6]
max = [0.3, 0.3, 1.2]
material = "glass"
"#
    ))
    .expect("the small scene is valid")
}
