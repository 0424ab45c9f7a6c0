//! Renders a scene here, as a job's providers would, and writes the PNG:
//!
//! ```text
//! cargo run --release -p plinth-render --example render -- crates/render/scene/demo.toml frame.png
//! ```
//!
//! Prints the job's size (input bytes, tasks, module hash) and each tile's fuel and
//! time under `plinth-wasm`.

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [scene_path, out_path] = args.as_slice() else {
        return Err("usage: render SCENE.toml OUT.png".into());
    };
    let scene = plinth_render::Scene::from_toml(&std::fs::read_to_string(scene_path)?)?;
    let input = scene.encode()?;
    let fuel = scene.fuel_per_task();
    println!(
        "input {} bytes, {} tasks, fuel per task {fuel}, module {} ({} bytes)",
        input.len(),
        scene.tasks(),
        plinth_render::module_hash(),
        plinth_render::MODULE.len()
    );
    let module = plinth_render::load()?;
    let mut frame = plinth_render::Frame::new(scene.tiling());
    let (mut total_fuel, mut max_fuel) = (0u64, 0u64);
    let start = Instant::now();
    for task in 0..scene.tasks() {
        let t = Instant::now();
        let out = module.run_task(&input, task, fuel)?;
        let ms = t.elapsed().as_secs_f64() * 1e3;
        println!("task {task:>4}: fuel {:>12}  {ms:>8.1} ms", out.fuel_used);
        total_fuel += out.fuel_used;
        max_fuel = max_fuel.max(out.fuel_used);
        frame.insert(task, &out.output)?;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{} tasks in {secs:.2} s ({:.1} ms per task); fuel total {total_fuel}, mean {}, max {max_fuel}",
        scene.tasks(),
        secs * 1e3 / f64::from(scene.tasks()),
        total_fuel / u64::from(scene.tasks())
    );
    std::fs::write(out_path, frame.to_png())?;
    Ok(())
}
