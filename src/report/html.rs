//! HTML building blocks of the report: escaping, tables, the page frame (style and the few lines
//! of sorting script). Every text that comes from a results dir goes through [`escape`].

use std::fmt::Write as _;

/// `s` with `&`, `<`, `>`, `"` and `'` replaced by character references: safe as element text and
/// as a quoted attribute value.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A `<table>` of text cells (escaped): `header` in `<thead>`, `rows` in `<tbody>`, `foot` (if
/// any) in `<tfoot>`. `class` is added to the table; a cell whose text starts with `*` (a
/// significantly best value, as the comparison table marks it) gets class `best`.
pub fn table(
    class: &str,
    header: &[String],
    rows: &[Vec<String>],
    foot: Option<&[String]>,
) -> String {
    let mut out = format!(
        "<div class=\"scroll\"><table class=\"{}\">\n<thead><tr>",
        escape(class)
    );
    for (j, h) in header.iter().enumerate() {
        let _ = write!(out, "<th data-col=\"{j}\">{}</th>", escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            match cell.strip_prefix('*') {
                Some(rest) => {
                    let _ = write!(
                        out,
                        "<td class=\"best\" title=\"best: better than the runner-up (Welch, 5%)\">★ {}</td>",
                        escape(rest.trim())
                    );
                }
                None => {
                    let _ = write!(out, "<td>{}</td>", escape(cell.trim()));
                }
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n");
    if let Some(foot) = foot {
        out.push_str("<tfoot><tr>");
        for cell in foot {
            let _ = write!(out, "<td>{}</td>", escape(cell));
        }
        out.push_str("</tr></tfoot>\n");
    }
    out.push_str("</table></div>\n");
    out
}

/// A `<pre>` block of escaped text. The newline after `<pre>` is one HTML parsers drop, so a text
/// that starts with a newline keeps it.
pub fn pre(text: &str) -> String {
    format!("<pre>\n{}</pre>\n", escape(text))
}

/// Style of the page: readable on a laptop screen and in print, wide tables scroll sideways.
pub const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.8em}h3{font-size:1.05em;margin:1.2em 0 .4em}
nav ul{columns:2;list-style:none;padding-left:0}nav li{margin:.1em 0}
pre{background:#f6f6f6;border:1px solid #ddd;padding:.6em;overflow:auto;max-height:32em;font-size:.85em}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:.88em;margin:.3em 0}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;white-space:nowrap}
thead th{background:#eef2f7;position:sticky;top:0;cursor:pointer}
tbody tr:nth-child(even){background:#fafafa}
tfoot td{background:#f3f3f3;font-style:italic}
td.best{font-weight:bold;background:#e3f4e3}
figure{margin:1.2em 0;border:1px solid #e5e5e5;padding:.5em}
figure svg{max-width:100%;height:auto;display:block}
figcaption{font-size:.9em;color:#444;margin-top:.3em}
.note{color:#555;font-size:.9em}
.stale{color:#8a1f11;background:#fdecea;border:1px solid #e0a0a0;padding:.3em .5em;font-weight:bold}
details{margin:.3em 0}summary{cursor:pointer}
";

/// Sorting a table by a clicked header: numbers compare as numbers (a leading `★` and a `± ...`
/// part are ignored), other text as text; a second click reverses. Plain script, no framework.
pub const SCRIPT: &str = "document.querySelectorAll('table.sortable thead th').forEach(function(th){th.addEventListener('click',function(){
var t=th.closest('table'),b=t.tBodies[0],j=+th.dataset.col,d=th.dataset.dir==='asc'?-1:1;th.dataset.dir=d>0?'asc':'desc';
function key(r){var s=(r.cells[j]?r.cells[j].textContent:'').replace('\\u2605','').split('\\u00b1')[0].trim();var n=parseFloat(s);return isNaN(n)?s:n;}
Array.from(b.rows).sort(function(x,y){var a=key(x),c=key(y);if(typeof a==='number'&&typeof c==='number')return d*(a-c);return d*String(a).localeCompare(String(c));}).forEach(function(r){b.appendChild(r);});});});
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_replaces_every_markup_character() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("plain ± text"), "plain ± text");
    }

    #[test]
    fn table_escapes_cells_and_marks_best_values() {
        let html = table(
            "cmp",
            &["rank".into(), "<b>".into()],
            &[
                vec!["1".into(), "*3.5 ± 0.1".into()],
                vec!["2".into(), " 4 & 5".into()],
            ],
            None,
        );
        assert!(html.contains("<th data-col=\"1\">&lt;b&gt;</th>"), "{html}");
        assert!(html.contains("<td class=\"best\""), "{html}");
        assert!(html.contains(">★ 3.5 ± 0.1</td>"), "{html}");
        assert!(html.contains("<td>4 &amp; 5</td>"), "{html}");
        assert_eq!(html.matches("<tr>").count(), 3);
    }
}
