//! Opening a trace file (plain or gzip) and reading it line by line without trusting its bytes.
//!
//! Lines are read as raw bytes and only then checked as UTF-8, so garbage in a file becomes a counted
//! "invalid UTF-8" line instead of an I/O error or a panic. A trailing `\r` is stripped (CRLF files).
//! A line may be at most [`MAX_LINE_BYTES`] long: a longer one (a file that is not a trace, such as a
//! binary or `/dev/zero`, or a gzip of one endless line) is an error naming the file and line, found
//! after reading that many bytes, so memory stays bounded whatever the file holds.
//!
//! A gzip file is checked whole by [`verify`] before a replay starts (its CRC and length are only in
//! its last bytes, which a replay cut short by its horizon or window would never read).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::workload::trace::report::Reporter;
use crate::workload::WorkloadError;

/// The two bytes every gzip member starts with.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The longest line a trace may have, in bytes (line ending excluded): 1 MiB. Real trace lines are a
/// few hundred bytes at most.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// A trace file read line by line, counting line numbers from 1.
pub struct Lines {
    reader: Box<dyn BufRead + Send>,
    buf: Vec<u8>,
    line_no: u64,
    path: String,
}

/// One line of a trace: its number and its text, or `None` when it is not valid UTF-8.
pub struct Line<'a> {
    /// 1-based line number in the (decompressed) file.
    pub no: u64,
    /// The text without its line ending, `None` for invalid UTF-8.
    pub text: Option<&'a str>,
}

/// An I/O error on `path` as a workload error.
pub fn io_error(path: &str, source: std::io::Error) -> WorkloadError {
    WorkloadError::Io {
        path: path.to_string(),
        source,
    }
}

/// `path` as a buffered reader of its content, decompressed if it is gzip; `true` when it was.
fn open_content(path: &Path) -> Result<(Box<dyn BufRead + Send>, bool), WorkloadError> {
    let shown = path.display().to_string();
    let file = File::open(path).map_err(|e| io_error(&shown, e))?;
    let mut buffered = BufReader::with_capacity(1 << 16, file);
    let head = buffered.fill_buf().map_err(|e| io_error(&shown, e))?;
    Ok(if head.starts_with(&GZIP_MAGIC) {
        let gz = MultiGzDecoder::new(buffered);
        (Box::new(BufReader::with_capacity(1 << 16, gz)), true)
    } else {
        (Box::new(buffered), false)
    })
}

/// Checks that a gzip file decompresses whole (every member's CRC and length); plain files pass
/// unread. Reads the file once, in bounded memory.
pub fn verify(path: &Path) -> Result<(), WorkloadError> {
    let (mut content, gzip) = open_content(path)?;
    if gzip {
        std::io::copy(&mut content, &mut std::io::sink())
            .map_err(|e| io_error(&path.display().to_string(), e))?;
    }
    Ok(())
}

impl Lines {
    /// Opens `path`; gzip is detected by its magic bytes (whatever the extension says).
    pub fn open(path: &Path) -> Result<Lines, WorkloadError> {
        let (reader, _) = open_content(path)?;
        Ok(Lines::from_reader(reader, path.display().to_string()))
    }

    /// Lines from any reader (tests), shown as `path` in messages.
    pub fn from_reader(reader: Box<dyn BufRead + Send>, path: String) -> Lines {
        Lines {
            reader,
            buf: Vec::with_capacity(256),
            line_no: 0,
            path,
        }
    }

    /// Lines read so far.
    pub fn line_no(&self) -> u64 {
        self.line_no
    }

    /// The file name used in messages.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The next line, or `None` at the end of the file; a line longer than [`MAX_LINE_BYTES`] is an
    /// error.
    pub fn next_line(&mut self) -> Result<Option<Line<'_>>, WorkloadError> {
        self.buf.clear();
        if !self.read_bounded()? {
            return Ok(None);
        }
        self.line_no += 1;
        while matches!(self.buf.last(), Some(b'\n' | b'\r')) {
            self.buf.pop();
        }
        Ok(Some(Line {
            no: self.line_no,
            text: std::str::from_utf8(&self.buf).ok(),
        }))
    }
}

impl Lines {
    /// Appends the next line (with its `\n`, if any) to `buf`; `false` at the end of the file. Stops
    /// with an error once the line exceeds [`MAX_LINE_BYTES`], without reading the rest of it.
    fn read_bounded(&mut self) -> Result<bool, WorkloadError> {
        loop {
            let chunk = self
                .reader
                .fill_buf()
                .map_err(|e| io_error(&self.path, e))?;
            if chunk.is_empty() {
                return Ok(!self.buf.is_empty());
            }
            let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            self.buf.extend_from_slice(&chunk[..take]);
            self.reader.consume(take);
            // Bytes of the line itself: the `\n` and a `\r` before it do not count (an unfinished
            // line may still end in the `\r` of a CRLF).
            let ending = self
                .buf
                .iter()
                .rev()
                .take(2)
                .filter(|&&b| b == b'\n' || b == b'\r');
            if self.buf.len() - ending.count() > MAX_LINE_BYTES {
                return Err(WorkloadError::Invalid(format!(
                    "{}:{}: line longer than {MAX_LINE_BYTES} bytes, the most a trace line may have \
                     (is this a trace file?)",
                    self.path,
                    self.line_no + 1
                )));
            }
            if done {
                return Ok(true);
            }
        }
    }
}

/// Splits `line` at `sep` into `out` (cleared first), trimming spaces around each field.
pub fn split_into<'a>(line: &'a str, sep: char, out: &mut Vec<&'a str>) {
    out.clear();
    out.extend(line.split(sep).map(str::trim));
}

/// Reads lines until `parse` yields a record, counting unreadable and malformed lines in `rep` (an
/// error in strict mode). `parse` returns `Ok(None)` for lines that carry no record (headers,
/// comments, records it dropped itself). `None` at the end of the file, after recording the line count.
pub fn next_record<T>(
    lines: &mut Lines,
    rep: &Reporter,
    mut parse: impl FnMut(u64, &str) -> Result<Option<T>, String>,
) -> Result<Option<(u64, T)>, WorkloadError> {
    loop {
        let Some(line) = lines.next_line()? else {
            rep.set_lines(lines.line_no());
            return Ok(None);
        };
        let no = line.no;
        let Some(text) = line.text else {
            rep.malformed(no, "invalid UTF-8")?;
            continue;
        };
        match parse(no, text) {
            Ok(Some(rec)) => return Ok(Some((no, rec))),
            Ok(None) => {}
            Err(reason) => rep.malformed(no, &reason)?,
        }
    }
}
