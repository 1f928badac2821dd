//! Classifies a few of the bundled digits with the baked no_std model and draws them.
//!
//! cargo run --release -p embedded-digits --example classify

fn main() {
    let data = kiln::data::digits().expect("bundled digits");
    println!(
        "model: {} bytes of read-only memory, scratch {} bytes\n",
        embedded_digits::MODEL_BYTES,
        embedded_digits::SCRATCH_BYTES
    );
    for i in [0, 100, 523, 1200, 1796] {
        let pixels: [u8; 64] = std::array::from_fn(|j| data.features[i * 64 + j] as u8);
        let t = std::time::Instant::now();
        let d = embedded_digits::classify(&pixels);
        let ns = t.elapsed().as_nanos();
        for row in pixels.chunks(8) {
            let line: String = row
                .iter()
                .map(|&p| [' ', '.', ':', '#'][(p as usize * 3).div_ceil(16)])
                .collect();
            println!("  {line}");
        }
        println!(
            "sample {i}: label {}, classified {} ({:.1}%) in {ns} ns\n",
            data.labels[i],
            d.digit,
            100.0 * d.confidence
        );
    }
}
