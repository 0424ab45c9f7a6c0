//! A meter's signed reading (what `PostReadings` carries, one by one) and the
//! energy family's checks of it: 32 bytes of context (the meter's capacity and
//! its last accepted reading), then the reading's bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plinth_core::Hash;
use plinth_proofs::energy::{check_reading, Baseline, EnergyParams, SignedReading};

fuzz_target!(|data: &[u8]| {
    let Some((head, body)) = data.split_first_chunk::<32>() else {
        return;
    };
    let word = |i: usize| u64::from_le_bytes(head[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
    let Ok(sr) = plinth_core::decode::<SignedReading>(body, 1 << 10) else {
        return;
    };
    // Canonical: one encoding per reading, so its hash in a block is its bytes'.
    assert_eq!(plinth_core::encode(&sr), body, "re-encoding differs");
    // The seeds sign for this chain.
    let _ = sr.verify(&plinth_core::chain_identity(&Hash::tagged(
        "fuzz", b"genesis",
    )));
    let p = EnergyParams::default();
    let clock = p.clock(1_700_000_000_000);
    let capacity_w = word(0) % (p.max_capacity_w + 1);
    let last = Baseline {
        interval: word(1),
        import_wh: word(2),
        export_wh: word(3),
    };
    let r = &sr.reading;
    match check_reading(&p, &clock, capacity_w, Some(&last), r) {
        Ok(d) => {
            assert!(r.interval > last.interval);
            assert!(d.import_wh <= r.import_wh - last.import_wh);
            assert!(d.export_wh <= r.export_wh - last.export_wh);
            if d.export_wh > 0 {
                assert!(capacity_w > 0);
                let ceiling =
                    p.max_export_wh(capacity_w, clock.start(r.interval), clock.end(r.interval));
                assert!(
                    d.export_wh <= ceiling,
                    "{} Wh over a ceiling of {ceiling}",
                    d.export_wh
                );
            }
        }
        Err(why) => {
            assert!(!why.code().is_empty());
            let _ = why.to_string();
        }
    }
    // Without a baseline, a reading only sets one.
    assert_eq!(
        check_reading(&p, &clock, capacity_w, None, r).map(|d| (d.import_wh, d.export_wh)),
        Ok((0, 0))
    );
});
