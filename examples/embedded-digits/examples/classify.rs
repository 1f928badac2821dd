//! Classifies a few of the bundled digits with the baked no_std model and draws them.
//!
//! cargo run --release -p embedded-digits --example classify

fn main() {
    let data = kiln::data::digits().expect("bundled digits");
    println!(
        "f32 model: {} bytes of read-only memory, scratch {} bytes",
        embedded_digits::MODEL_BYTES,
        embedded_digits::SCRATCH_BYTES
    );
    println!(
        "int8 model: {} bytes of read-only memory, scratch {} bytes",
        embedded_digits::MODEL_BYTES_INT8,
        embedded_digits::SCRATCH_BYTES_INT8
    );
    // The 20% the main command held out of training (`--seed 1`).
    let (_, held_out) = data.split(0.8, 1).expect("split");
    let (mut ok32, mut ok8) = (0, 0);
    for (i, &label) in held_out.labels.iter().enumerate() {
        let pixels: [u8; 64] = std::array::from_fn(|j| held_out.features[i * 64 + j] as u8);
        ok32 += usize::from(embedded_digits::classify(&pixels).digit as usize == label);
        ok8 += usize::from(embedded_digits::classify_int8(&pixels).digit as usize == label);
    }
    let n = held_out.len() as f64;
    println!(
        "held-out accuracy ({} images): f32 {:.2}%, int8 {:.2}%\n",
        held_out.len(),
        100.0 * ok32 as f64 / n,
        100.0 * ok8 as f64 / n
    );
    for i in [0, 100, 523, 1200, 1796] {
        let pixels: [u8; 64] = std::array::from_fn(|j| data.features[i * 64 + j] as u8);
        let t = std::time::Instant::now();
        let d = embedded_digits::classify(&pixels);
        let ns = t.elapsed().as_nanos();
        let t = std::time::Instant::now();
        let d8 = embedded_digits::classify_int8(&pixels);
        let ns8 = t.elapsed().as_nanos();
        for row in pixels.chunks(8) {
            let line: String = row
                .iter()
                .map(|&p| [' ', '.', ':', '#'][(p as usize * 3).div_ceil(16)])
                .collect();
            println!("  {line}");
        }
        println!(
            "sample {i}: label {}, f32 says {} ({:.1}%) in {ns} ns, int8 says {} ({:.1}%) in {ns8} ns\n",
            data.labels[i],
            d.digit,
            100.0 * d.confidence,
            d8.digit,
            100.0 * d8.confidence
        );
    }
}
