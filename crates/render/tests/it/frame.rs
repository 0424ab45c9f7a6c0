//! Tiles cover the image exactly; a frame assembles them; its PNG decodes back.

use plinth_render::{Frame, RenderError, Tiling};

#[test]
fn tiles_cover_the_image_exactly_once() {
    for (w, h, t) in [
        (256, 192, 32),
        (64, 48, 16),
        (65, 47, 16),
        (1, 1, 1),
        (7, 300, 256),
        (4096, 3, 100),
    ] {
        let tiling = Tiling::new(w, h, t).unwrap();
        let mut covered = vec![0u8; w as usize * h as usize];
        let mut bytes = 0;
        for task in 0..tiling.tasks() {
            let (x, y, tw, th) = tiling.tile_rect(task).unwrap();
            assert!(tw >= 1 && th >= 1 && tw <= t && th <= t);
            assert_eq!(
                tiling.expected_output_len(task).unwrap(),
                (tw * th * 3) as usize
            );
            bytes += tiling.expected_output_len(task).unwrap();
            for yy in y..y + th {
                for xx in x..x + tw {
                    covered[(yy * w + xx) as usize] += 1;
                }
            }
        }
        assert!(covered.iter().all(|c| *c == 1), "{w}x{h}/{t}");
        assert_eq!(bytes, (w * h * 3) as usize);
        assert_eq!(tiling.tasks(), w.div_ceil(t) * h.div_ceil(t));
        assert!(matches!(
            tiling.tile_rect(tiling.tasks()),
            Err(RenderError::TaskOutOfRange { .. })
        ));
    }
    assert!(Tiling::new(0, 10, 8).is_err());
    assert!(Tiling::new(10, 10, 257).is_err());
}

#[test]
fn tiles_are_row_major() {
    let tiling = Tiling::new(70, 40, 32).unwrap(); // 3 columns, 2 rows
    assert_eq!(tiling.tile_rect(0).unwrap(), (0, 0, 32, 32));
    assert_eq!(tiling.tile_rect(2).unwrap(), (64, 0, 6, 32));
    assert_eq!(tiling.tile_rect(3).unwrap(), (0, 32, 32, 8));
    assert_eq!(tiling.tile_rect(5).unwrap(), (64, 32, 6, 8));
}

#[test]
fn frame_places_tiles_and_refuses_wrong_ones() {
    let tiling = Tiling::new(5, 3, 2).unwrap(); // 3 × 2 tiles
    let mut frame = Frame::new(tiling);
    assert_eq!(frame.missing(), (0..6).collect::<Vec<_>>());
    for task in 0..tiling.tasks() {
        let len = tiling.expected_output_len(task).unwrap();
        // Every pixel's bytes say which tile it came from.
        frame.insert(task, &vec![task as u8 + 1; len]).unwrap();
    }
    assert!(frame.is_complete());
    #[rustfmt::skip]
    let want: [u8; 15] = [
        1, 1, 2, 2, 3,
        1, 1, 2, 2, 3,
        4, 4, 5, 5, 6,
    ];
    let got: Vec<u8> = frame.rgb().chunks(3).map(|p| p[0]).collect();
    assert_eq!(got, want);

    let err = frame.insert(2, &[0; 7]).unwrap_err();
    assert!(
        matches!(
            err,
            RenderError::TileLength {
                task: 2,
                len: 7,
                expected: 6
            }
        ),
        "{err}"
    );
    assert!(matches!(
        frame.insert(6, &[]),
        Err(RenderError::TaskOutOfRange { task: 6, tasks: 6 })
    ));
}

#[test]
fn png_decodes_back_to_the_frame() {
    let tiling = Tiling::new(37, 21, 16).unwrap();
    let mut frame = Frame::new(tiling);
    for task in 0..tiling.tasks() {
        let len = tiling.expected_output_len(task).unwrap();
        let tile: Vec<u8> = (0..len)
            .map(|i| (i * 7 + task as usize * 31) as u8)
            .collect();
        frame.insert(task, &tile).unwrap();
    }
    let png = frame.to_png();
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (37, 21));
    assert_eq!(info.color_type, png::ColorType::Rgb);
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    assert_eq!(&buf[..info.buffer_size()], frame.rgb());
}

#[test]
fn tiling_from_input_refuses_other_bytes() {
    let input = super::small_scene(64, 48, 16, 1).encode().unwrap();
    assert_eq!(
        Tiling::from_input(&input).unwrap(),
        Tiling::new(64, 48, 16).unwrap()
    );
    let mut bad = input.clone();
    bad[0] = b'X';
    assert!(matches!(
        Tiling::from_input(&bad),
        Err(RenderError::BadInput { .. })
    ));
    assert!(Tiling::from_input(&input[..10]).is_err());
    let mut zero_tile = input.clone();
    zero_tile[10] = 0;
    assert!(Tiling::from_input(&zero_tile).is_err());
}
