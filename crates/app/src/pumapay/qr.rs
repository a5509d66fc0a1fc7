//! QR codes as PNG images, for the wallet links of pull-payment requests. The `qrcode` crate
//! builds the matrix; we only draw it (a 4-module quiet zone, as ISO/IEC 18004 asks, so phone
//! cameras find the code on any background) and encode it with `png`, which keeps the heavy
//! `image` crate out of the build.
use crate::AppError;
use qrcode::{Color, EcLevel, QrCode};

/// Pixels per module: a 57-module code (a typical wallet URL) becomes a 260-pixel image.
const SCALE: usize = 4;
/// Light modules around the code.
const QUIET_ZONE: usize = 4;

/// `text` as a QR code (error correction M: survives ~15% damage, still small) in an 8-bit
/// grayscale PNG.
pub fn png(text: &str) -> Result<Vec<u8>, AppError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|e| {
        AppError::bad_request(
            "error.qr.too.long",
            format!("The QR code cannot hold this text: {e}"),
        )
    })?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET_ZONE) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules + QUIET_ZONE, i / modules + QUIET_ZONE);
        for y in my * SCALE..(my + 1) * SCALE {
            pixels[y * side + mx * SCALE..y * side + (mx + 1) * SCALE].fill(0);
        }
    }
    let side = u32::try_from(side).map_err(AppError::internal)?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(AppError::internal)?;
    writer
        .write_image_data(&pixels)
        .map_err(AppError::internal)?;
    writer.finish().map_err(AppError::internal)?;
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_url_becomes_a_square_grayscale_png() {
        let bytes =
            png("https://pay.example.com/api/v2/open-auth/pull-payment-requests/x").unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!(info.width, info.height);
        assert_eq!(info.color_type, png::ColorType::Grayscale);
        // Whole modules with the quiet zone on each side.
        assert_eq!(info.width as usize % SCALE, 0);
        assert!(info.width as usize >= (21 + 2 * QUIET_ZONE) * SCALE);
    }
}
