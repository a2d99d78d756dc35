//! Safe rendering of message bodies: every character of the body is HTML-escaped first; only
//! then is a small markdown subset turned into tags the renderer writes itself: `**bold**`,
//! `*italic*`, `` `code` ``, fenced ``` code blocks, `[text](https://…)` and bare http(s) links
//! (`rel="noopener nofollow"`), newlines as `<br>`. No user text ever becomes a tag or an
//! attribute outside a quoted, escaped `href` of an http(s) URL.

/// The body as safe HTML.
pub fn render(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + body.len() / 4);
    let mut text: Vec<&str> = Vec::new();
    let mut code: Option<Vec<&str>> = None;
    for line in body.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let fence = line.trim_start().starts_with("```");
        match code.as_mut() {
            Some(lines) if fence => {
                code_block(&mut out, lines);
                code = None;
            }
            Some(lines) => lines.push(line),
            None if fence => {
                paragraph(&mut out, &text);
                text.clear();
                code = Some(Vec::new());
            }
            None => text.push(line),
        }
    }
    // An unclosed fence runs to the end of the message.
    if let Some(lines) = code {
        code_block(&mut out, &lines);
    }
    paragraph(&mut out, &text);
    out
}

/// `& < > " '` as entities.
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

fn code_block(out: &mut String, lines: &[&str]) {
    out.push_str("<pre><code>");
    out.push_str(&escape(&lines.join("\n")));
    out.push_str("</code></pre>");
}

fn paragraph(out: &mut String, lines: &[&str]) {
    if lines.is_empty() {
        return;
    }
    let escaped = escape(&lines.join("\n"));
    let chars: Vec<char> = escaped.chars().collect();
    inline(out, &chars);
}

/// Renders already escaped text.
fn inline(out: &mut String, s: &[char]) {
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c == '\n' {
            out.push_str("<br>");
            i += 1;
        } else if c == '`'
            && let Some(end) = find(s, i + 1, &['`'])
            && end > i + 1
        {
            out.push_str("<code>");
            out.extend(&s[i + 1..end]);
            out.push_str("</code>");
            i = end + 1;
        } else if starts_with(s, i, "**")
            && let Some(end) = find(s, i + 2, &['*', '*'])
            && end > i + 2
        {
            out.push_str("<strong>");
            inline(out, &s[i + 2..end]);
            out.push_str("</strong>");
            i = end + 2;
        } else if c == '*'
            && let Some(end) = find(s, i + 1, &['*'])
            && end > i + 1
            && !s[i + 1].is_whitespace()
            && !s[end - 1].is_whitespace()
        {
            out.push_str("<em>");
            inline(out, &s[i + 1..end]);
            out.push_str("</em>");
            i = end + 1;
        } else if c == '['
            && let Some((label_end, url_end)) = labelled_link(s, i)
        {
            let url: String = s[label_end + 2..url_end].iter().collect();
            out.push_str(&format!("<a href=\"{url}\" rel=\"noopener nofollow\">"));
            inline(out, &s[i + 1..label_end]);
            out.push_str("</a>");
            i = url_end + 1;
        } else if (i == 0 || !s[i - 1].is_alphanumeric())
            && let Some(end) = bare_link(s, i)
        {
            let url: String = s[i..end].iter().collect();
            out.push_str(&format!(
                "<a href=\"{url}\" rel=\"noopener nofollow\">{url}</a>"
            ));
            i = end;
        } else {
            out.push(c);
            i += 1;
        }
    }
}

fn starts_with(s: &[char], at: usize, pat: &str) -> bool {
    (at..).zip(pat.chars()).all(|(i, p)| s.get(i) == Some(&p))
}

/// The index of the next `pat` at or after `from`, within the line.
fn find(s: &[char], from: usize, pat: &[char]) -> Option<usize> {
    let mut i = from;
    while i + pat.len() <= s.len() {
        if s[i] == '\n' {
            return None;
        }
        if s[i..i + pat.len()] == *pat {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The end (exclusive) of an http(s) URL starting at `at`: up to whitespace or an escaped
/// `< > " '`, without trailing punctuation.
fn bare_link(s: &[char], at: usize) -> Option<usize> {
    let scheme = if starts_with(s, at, "https://") {
        8
    } else if starts_with(s, at, "http://") {
        7
    } else {
        return None;
    };
    let mut end = at + scheme;
    while end < s.len() && !s[end].is_whitespace() && !is_escaped_quote_or_angle(s, end) {
        end += 1;
    }
    while end > at + scheme && matches!(s[end - 1], '.' | ',' | ';' | ':' | '!' | '?' | ')' | '*') {
        end -= 1;
    }
    (end > at + scheme).then_some(end)
}

/// `[label](http(s)://url)` at `at`: the index of `]` and of `)`.
fn labelled_link(s: &[char], at: usize) -> Option<(usize, usize)> {
    let label_end = find(s, at + 1, &[']'])?;
    if label_end == at + 1 || s.get(label_end + 1) != Some(&'(') {
        return None;
    }
    let url_start = label_end + 2;
    let url_end = bare_link(s, url_start)?;
    (s.get(url_end) == Some(&')')).then_some((label_end, url_end))
}

fn is_escaped_quote_or_angle(s: &[char], at: usize) -> bool {
    ["&lt;", "&gt;", "&quot;", "&#39;"]
        .iter()
        .any(|e| starts_with(s, at, e))
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn plain_text_and_newlines() {
        assert_eq!(render("hello"), "hello");
        assert_eq!(render("a\nb\r\nc"), "a<br>b<br>c");
        assert_eq!(render("2 * 3 * 4"), "2 * 3 * 4");
    }

    #[test]
    fn the_subset() {
        assert_eq!(
            render("**bold** and *it*"),
            "<strong>bold</strong> and <em>it</em>"
        );
        assert_eq!(
            render("**bold *it* x**"),
            "<strong>bold <em>it</em> x</strong>"
        );
        assert_eq!(render("use `a*b*c`"), "use <code>a*b*c</code>");
        assert_eq!(
            render("before\n```\nfn main() {}\n  x < y\n```\nafter"),
            "before<pre><code>fn main() {}\n  x &lt; y</code></pre>after"
        );
        assert_eq!(
            render("see https://example.com/a?b=1&c=2."),
            "see <a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"noopener nofollow\">https://example.com/a?b=1&amp;c=2</a>."
        );
        assert_eq!(
            render("[docs](http://x.io/d)"),
            "<a href=\"http://x.io/d\" rel=\"noopener nofollow\">docs</a>"
        );
        assert_eq!(
            render("```\nunclosed <b>"),
            "<pre><code>unclosed &lt;b&gt;</code></pre>"
        );
    }

    #[test]
    fn html_is_never_emitted() {
        assert_eq!(
            render("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(
            render("<img src=x onerror=alert(1)>"),
            "&lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(
            render("**<b>x</b>**"),
            "<strong>&lt;b&gt;x&lt;/b&gt;</strong>"
        );
        assert_eq!(render("`<i>`"), "<code>&lt;i&gt;</code>");
    }

    #[test]
    fn javascript_links_stay_text() {
        assert_eq!(render("javascript:alert(1)"), "javascript:alert(1)");
        assert_eq!(
            render("[click](javascript:alert(1))"),
            "[click](javascript:alert(1))"
        );
        assert_eq!(
            render("[x](data:text/html,<script>)"),
            "[x](data:text/html,&lt;script&gt;)"
        );
    }

    #[test]
    fn quotes_cannot_break_out_of_href() {
        let html = render("https://e.com/\"onmouseover=\"alert(1)");
        assert_eq!(
            html,
            "<a href=\"https://e.com/\" rel=\"noopener nofollow\">https://e.com/</a>&quot;onmouseover=&quot;alert(1)"
        );
        let html = render("https://e.com/'x'");
        assert!(html.starts_with("<a href=\"https://e.com/\" "), "{html}");
        let html = render("[a\" onclick=\"x](https://e.com/\"><script>)");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("\" onclick"), "{html}");
        // Every tag in any output is one of ours.
        for input in [
            "<svg/onload=alert(1)>",
            "**[x](https://a.b/\"<)**",
            "```\n</code></pre><script>\n```",
            "*<a href='javascript:x'>*",
        ] {
            let html = render(input);
            let mut rest = html.as_str();
            while let Some(pos) = rest.find('<') {
                rest = &rest[pos + 1..];
                let tag: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '/')
                    .collect();
                assert!(
                    [
                        "strong", "/strong", "em", "/em", "code", "/code", "pre", "/pre", "a",
                        "/a", "br"
                    ]
                    .contains(&tag.as_str()),
                    "{input:?} gave {html:?}"
                );
            }
        }
    }
}
