//! Parsing of durations ("250ms", "30s", "5m", "2h", "1d", or plain seconds) and sizes ("512MiB",
//! "4GiB", "500MB", or plain bytes). Errors say what was expected; the caller adds the key.

/// Parses a duration string into seconds. Accepts `us`, `ms`, `s`, `m`, `h`, `d` suffixes.
pub fn parse_duration_secs(text: &str) -> Result<f64, String> {
    let (num, unit) = split_unit(text);
    let value: f64 = num.trim().parse().map_err(|_| {
        format!("expected a duration like \"250ms\", \"30s\", \"5m\", \"2h\", \"1d\" or a number of seconds, got \"{text}\"")
    })?;
    let scale = match unit.trim() {
        "" | "s" | "sec" | "secs" => 1.0,
        "us" => 1e-6,
        "ms" => 1e-3,
        "m" | "min" | "mins" => 60.0,
        "h" | "hr" => 3600.0,
        "d" | "day" | "days" => 86400.0,
        other => {
            return Err(format!(
                "unknown duration unit \"{other}\" in \"{text}\" (use us, ms, s, m, h or d)"
            ))
        }
    };
    check_finite(value * scale, text)
}

/// Parses a size string into bytes. Accepts B, KB, MB, GB, TB (powers of 1000) and KiB, MiB, GiB, TiB
/// (powers of 1024); a plain number is bytes.
pub fn parse_size_bytes(text: &str) -> Result<f64, String> {
    let (num, unit) = split_unit(text);
    let value: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("expected a size like \"512MiB\", \"4GiB\", \"500MB\" or a number of bytes, got \"{text}\""))?;
    let scale = match unit.trim() {
        "" | "B" => 1.0,
        "KB" | "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "TiB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        other => return Err(format!("unknown size unit \"{other}\" in \"{text}\" (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)")),
    };
    check_finite(value * scale, text)
}

/// Splits "1.5e3ms" into ("1.5e3", "ms"): the unit is the trailing run of letters, so exponent
/// notation in the number works.
fn split_unit(text: &str) -> (&str, &str) {
    let t = text.trim();
    let split = t
        .rfind(|c: char| !c.is_ascii_alphabetic())
        .map_or(0, |i| i + 1);
    t.split_at(split)
}

fn check_finite(v: f64, text: &str) -> Result<f64, String> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("\"{text}\" is not a finite number"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_with_units() {
        assert_eq!(parse_duration_secs("250ms").unwrap(), 0.25);
        assert_eq!(parse_duration_secs("30s").unwrap(), 30.0);
        assert_eq!(parse_duration_secs("5m").unwrap(), 300.0);
        assert_eq!(parse_duration_secs("2h").unwrap(), 7200.0);
        assert_eq!(parse_duration_secs("1d").unwrap(), 86400.0);
        assert_eq!(parse_duration_secs("1.5").unwrap(), 1.5);
        assert!(parse_duration_secs("5 parsecs")
            .unwrap_err()
            .contains("unknown duration unit"));
        assert!(parse_duration_secs("abc").is_err());
    }

    #[test]
    fn exponent_notation_is_a_number_not_a_unit() {
        assert_eq!(parse_duration_secs("1e12s").unwrap(), 1e12);
        assert_eq!(parse_duration_secs("1e3").unwrap(), 1000.0);
        assert_eq!(parse_duration_secs("2.5E-3 ms").unwrap(), 2.5e-6);
        assert_eq!(parse_size_bytes("1e3KB").unwrap(), 1e6);
        let e = parse_duration_secs("5 parsecs").unwrap_err();
        assert!(e.contains("unknown duration unit \"parsecs\""), "{e}");
        assert!(parse_duration_secs("inf").is_err());
    }

    #[test]
    fn sizes_with_units() {
        assert_eq!(parse_size_bytes("512MiB").unwrap(), 536_870_912.0);
        assert_eq!(parse_size_bytes("4GiB").unwrap(), 4_294_967_296.0);
        assert_eq!(parse_size_bytes("500MB").unwrap(), 5e8);
        assert_eq!(parse_size_bytes("1TiB").unwrap(), 1_099_511_627_776.0);
        assert_eq!(parse_size_bytes("1024").unwrap(), 1024.0);
        assert!(parse_size_bytes("4 GHz").is_err());
    }
}
