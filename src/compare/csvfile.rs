//! Reading the results CSV files with errors that name the file and line.

use std::path::{Path, PathBuf};

use super::CompareError;

/// A CSV file held in memory: header and rows of trimmed text fields.
#[derive(Debug, Clone)]
pub struct CsvTable {
    /// The file the table was read from (used in error messages).
    pub path: PathBuf,
    /// Column names, in file order.
    pub headers: Vec<String>,
    /// Data rows, in file order.
    pub rows: Vec<CsvRow>,
}

/// One data row and the 1-based line it starts on (the header is line 1).
#[derive(Debug, Clone)]
pub struct CsvRow {
    /// 1-based line number in the file.
    pub line: u64,
    /// Field texts, one per header column.
    pub fields: Vec<String>,
}

impl CsvTable {
    /// Reads `path`; every row must have as many fields as the header.
    pub fn read(path: &Path) -> Result<CsvTable, CompareError> {
        Self::read_where(path, &[])
    }

    /// Reads `path`, keeping only the rows whose column `name` has one of the given texts, for every
    /// `(name, texts)` in `keep` (so a large file is never held whole). Rows left out are still
    /// checked for CSV structure.
    pub fn read_where(path: &Path, keep: &[(&str, &[&str])]) -> Result<CsvTable, CompareError> {
        let file = std::fs::File::open(path).map_err(|source| CompareError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(std::io::BufReader::new(file));
        let csv_err = |e: csv::Error| CompareError::Malformed {
            path: path.to_path_buf(),
            line: e.position().map_or(0, |p| p.line()),
            message: describe(&e),
        };
        let headers = reader.headers().map_err(csv_err)?;
        let headers: Vec<String> = headers.iter().map(str::to_string).collect();
        let filters: Vec<(usize, &[&str])> = keep
            .iter()
            .map(|(name, texts)| {
                let col = headers.iter().position(|h| h == name);
                let missing = || CompareError::MissingColumn {
                    path: path.to_path_buf(),
                    column: name.to_string(),
                };
                Ok((col.ok_or_else(missing)?, *texts))
            })
            .collect::<Result<_, CompareError>>()?;
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(csv_err)?;
            if !filters
                .iter()
                .all(|(c, texts)| texts.contains(&&record[*c]))
            {
                continue;
            }
            let line = record.position().map_or(0, |p| p.line());
            rows.push(CsvRow {
                line,
                fields: record.iter().map(str::to_string).collect(),
            });
        }
        Ok(CsvTable {
            path: path.to_path_buf(),
            headers,
            rows,
        })
    }

    /// [`CsvTable::read_where`] if `path` exists; `Ok(None)` when it does not.
    pub fn read_optional(
        path: &Path,
        keep: &[(&str, &[&str])],
    ) -> Result<Option<CsvTable>, CompareError> {
        if path.exists() {
            Self::read_where(path, keep).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Index of column `name`, or an error naming the file and the column.
    pub fn column(&self, name: &str) -> Result<usize, CompareError> {
        self.find(name).ok_or_else(|| CompareError::MissingColumn {
            path: self.path.clone(),
            column: name.to_string(),
        })
    }

    /// Index of column `name`, if present.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    /// The number in column `col` of `row`; empty, `NaN` and `nan` read as NaN.
    pub fn number(&self, row: &CsvRow, col: usize) -> Result<f64, CompareError> {
        let text = row.fields[col].as_str();
        if text.is_empty() || text.eq_ignore_ascii_case("nan") {
            return Ok(f64::NAN);
        }
        text.parse::<f64>()
            .map_err(|_| self.malformed(row, col, "a number"))
    }

    /// The non-negative integer in column `col` of `row`.
    pub fn integer(&self, row: &CsvRow, col: usize) -> Result<u64, CompareError> {
        row.fields[col]
            .parse::<u64>()
            .map_err(|_| self.malformed(row, col, "a non-negative integer"))
    }

    /// An error saying that column `col` of `row` is not `expected`.
    pub fn malformed(&self, row: &CsvRow, col: usize, expected: &str) -> CompareError {
        CompareError::Malformed {
            path: self.path.clone(),
            line: row.line,
            message: format!(
                "column `{}`: expected {expected}, found {:?}",
                self.headers[col], row.fields[col]
            ),
        }
    }
}

/// The csv crate's message without its own position prefix (we print the position ourselves).
fn describe(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("expected {expected_len} fields (as in the header), found {len}")
        }
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".to_string(),
        _ => e.to_string(),
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same dir, then a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CompareError> {
    let io = |source| CompareError::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy());
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}
