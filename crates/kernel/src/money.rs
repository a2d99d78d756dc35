//! Money: an amount in integer minor units of an ISO 4217 currency, which knows its decimal
//! places (JPY 0, EUR 2, KWD 3, …). Amounts people type are parsed for a currency
//! ([`Money::parse`]: "1,234.56", "1234.5", "500000") and shown back either for an input field
//! ([`Money::plain`]: "1234.56") or for reading ([`Money::display`]: "€1,234.56", "¥500,000",
//! "KWD 1.500"). Nothing here is floating point.

use std::fmt;

/// An ISO 4217 currency and the number of digits after its decimal point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    /// Three ASCII upper-case letters.
    code: [u8; 3],
    decimals: u8,
}

/// Currencies whose minor unit is not a hundredth: `(code, decimal places)`.
const NOT_TWO: [(&str, u8); 23] = [
    ("BHD", 3),
    ("BIF", 0),
    ("CLF", 4),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("IQD", 3),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("PYG", 0),
    ("RWF", 0),
    ("TND", 3),
    ("UGX", 0),
    ("UYI", 0),
    ("UYW", 4),
    ("VND", 0),
    ("VUV", 0),
];

/// Also without a minor unit (the CFA and CFP francs).
const NOT_TWO_FRANCS: [(&str, u8); 3] = [("XAF", 0), ("XOF", 0), ("XPF", 0)];

/// Every other active ISO 4217 currency: two decimal places.
const TWO: [&str; 143] = [
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF",
    "CHE", "CHF", "CHW", "CNY", "COP", "COU", "CRC", "CUC", "CUP", "CVE", "CZK", "DKK", "DOP",
    "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ",
    "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS", "KHR",
    "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD", "MMK",
    "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO",
    "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB",
    "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL", "SOS", "SRD", "SSP", "STN",
    "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "USD",
    "USN", "UYU", "UZS", "VED", "VES", "WST", "XCD", "XCG", "YER", "ZAR", "ZMW", "ZWG", "ZWL",
];

impl Currency {
    /// ISO's code for "no currency", `XXX`, taken with two decimal places: for amounts typed
    /// before a currency is chosen.
    pub const NONE: Currency = Currency {
        code: *b"XXX",
        decimals: 2,
    };

    /// The currency with this code (exactly three upper-case letters of an active ISO 4217
    /// currency), or `None`.
    pub fn parse(code: &str) -> Option<Currency> {
        let letters = Self::letters(code)?;
        if let Some((_, decimals)) = NOT_TWO
            .iter()
            .chain(NOT_TWO_FRANCS.iter())
            .find(|(c, _)| *c == code)
        {
            return Some(Currency {
                code: letters,
                decimals: *decimals,
            });
        }
        TWO.contains(&code).then_some(Currency {
            code: letters,
            decimals: 2,
        })
    }

    /// Like [`Currency::parse`], but any other three upper-case letters are taken as a
    /// currency with two decimal places: for showing amounts stored before codes were
    /// checked against the table.
    pub fn assume(code: &str) -> Option<Currency> {
        Self::parse(code).or_else(|| {
            Some(Currency {
                code: Self::letters(code)?,
                decimals: 2,
            })
        })
    }

    fn letters(code: &str) -> Option<[u8; 3]> {
        let bytes: [u8; 3] = code.as_bytes().try_into().ok()?;
        bytes.iter().all(u8::is_ascii_uppercase).then_some(bytes)
    }

    /// The ISO code, e.g. `"EUR"`.
    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.code).unwrap_or("XXX")
    }

    /// Digits after the decimal point: 0 for JPY, 2 for EUR, 3 for KWD.
    pub fn decimals(&self) -> u8 {
        self.decimals
    }

    /// Minor units in one major unit: 1, 100, 1000 or 10000.
    pub fn minor_per_major(&self) -> i64 {
        10_i64.pow(u32::from(self.decimals))
    }

    /// The symbol people know, for the few currencies where it is unambiguous.
    fn symbol(&self) -> Option<&'static str> {
        Some(match self.code() {
            "USD" => "$",
            "EUR" => "€",
            "GBP" => "£",
            "INR" => "₹",
            "JPY" => "¥",
            _ => return None,
        })
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A SQL expression with the minor units per major unit of the currency code in `column`
/// (`CASE column WHEN 'JPY' THEN 1 … ELSE 100 END`), for comparing amounts of different
/// currencies in whole units. `column` is written into the SQL as it is: pass a column name,
/// never user input.
pub fn minor_per_major_sql(column: &str) -> String {
    let mut sql = format!("CASE {column}");
    for (code, decimals) in NOT_TWO.iter().chain(NOT_TWO_FRANCS.iter()) {
        sql.push_str(&format!(
            " WHEN '{code}' THEN {}",
            10_i64.pow(u32::from(*decimals))
        ));
    }
    sql.push_str(" ELSE 100 END");
    sql
}

/// Why typed text is not an amount of a currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoneyError {
    /// Nothing but spaces and separators.
    Empty,
    /// Not digits with at most one decimal point.
    NotANumber,
    /// More digits after the point than the currency has.
    TooPrecise { decimals: u8 },
    /// Beyond what minor units in an `i64` hold.
    TooLarge,
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MoneyError::Empty => f.write_str("is empty"),
            MoneyError::NotANumber => f.write_str("must be an amount, e.g. 65000 or 65000.50"),
            MoneyError::TooPrecise { decimals: 0 } => {
                f.write_str("must be a whole amount in this currency")
            }
            MoneyError::TooPrecise { decimals } => {
                write!(f, "must have at most {decimals} digits after the point")
            }
            MoneyError::TooLarge => f.write_str("is too large"),
        }
    }
}

/// An amount: integer minor units of a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// Major units as people type them ("1,234.56", "1234.5", "-20", "1 000") in `currency`.
    /// Commas, underscores and spaces between digits are ignored; the point is `.`.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        let t: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != ',' && *c != '_')
            .collect();
        if t.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (negative, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.as_str()),
        };
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        let digits = |x: &str| x.chars().all(|c| c.is_ascii_digit());
        if int.is_empty() || !digits(int) || !digits(frac) || (t.contains('.') && frac.is_empty()) {
            return Err(MoneyError::NotANumber);
        }
        let decimals = usize::from(currency.decimals);
        let frac = frac.trim_end_matches('0');
        if frac.len() > decimals {
            return Err(MoneyError::TooPrecise {
                decimals: currency.decimals,
            });
        }
        let int: i64 = int.parse().map_err(|_| MoneyError::TooLarge)?;
        let frac: i64 = if decimals == 0 {
            0
        } else {
            format!("{frac:0<decimals$}")
                .parse()
                .map_err(|_| MoneyError::NotANumber)?
        };
        let minor = int
            .checked_mul(currency.minor_per_major())
            .and_then(|v| v.checked_add(frac))
            .ok_or(MoneyError::TooLarge)?;
        Ok(Money::new(if negative { -minor } else { minor }, currency))
    }

    /// The whole units and the minor digits (zero-padded to the currency's places), unsigned.
    fn parts(&self) -> (u64, String) {
        let per = self.currency.minor_per_major().unsigned_abs();
        let abs = self.minor.unsigned_abs();
        let decimals = usize::from(self.currency.decimals);
        let frac = if decimals == 0 {
            String::new()
        } else {
            format!("{:0decimals$}", abs % per)
        };
        (abs / per, frac)
    }

    fn sign(&self) -> &'static str {
        if self.minor < 0 { "-" } else { "" }
    }

    /// For an input field: no grouping, no symbol; decimals only when there is a fraction
    /// ("65000", "65000.50", "500000" for yen). [`Money::parse`] reads it back.
    pub fn plain(&self) -> String {
        let (whole, frac) = self.parts();
        if frac.is_empty() || frac.bytes().all(|b| b == b'0') {
            format!("{}{whole}", self.sign())
        } else {
            format!("{}{whole}.{frac}", self.sign())
        }
    }

    /// For reading: thousands grouped, the symbol or the code, decimals only when there is a
    /// fraction ("€60,000", "€1,234.50", "¥500,000", "KWD 1.500", "CHF 90,000").
    pub fn display(&self) -> String {
        let (whole, frac) = self.parts();
        let mut amount = group_thousands(whole);
        if !frac.is_empty() && !frac.bytes().all(|b| b == b'0') {
            amount.push('.');
            amount.push_str(&frac);
        }
        match self.currency.symbol() {
            Some(s) => format!("{}{s}{amount}", self.sign()),
            None => format!("{}{} {amount}", self.sign(), self.currency.code()),
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    #[test]
    fn currencies_know_their_decimal_places() {
        assert_eq!(c("JPY").decimals(), 0);
        assert_eq!(c("EUR").decimals(), 2);
        for code in ["KWD", "BHD", "OMR", "JOD", "TND"] {
            assert_eq!(c(code).decimals(), 3, "{code}");
        }
        assert_eq!(c("XOF").minor_per_major(), 1);
        assert_eq!(c("KWD").minor_per_major(), 1000);
        assert_eq!(c("USD").code(), "USD");
        for bad in ["eur", "EURO", "XYZ", "", "E", "€"] {
            assert!(Currency::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(Currency::assume("XYZ").map(|c| c.decimals()), Some(2));
        assert_eq!(Currency::assume("JPY"), Currency::parse("JPY"));
        assert_eq!(Currency::assume("xyz"), None);
        assert_eq!(
            Money::new(150, Currency::assume("XYZ").unwrap()).display(),
            "XYZ 1.50"
        );
        let sql = minor_per_major_sql("j.currency");
        assert!(sql.starts_with("CASE j.currency WHEN 'BHD' THEN 1000"));
        assert!(sql.contains("WHEN 'JPY' THEN 1 ") && sql.ends_with("ELSE 100 END"));
    }

    #[test]
    fn amounts_are_parsed_for_their_currency() {
        let eur = c("EUR");
        assert_eq!(Money::parse("1,234.56", eur).unwrap().minor, 123_456);
        assert_eq!(Money::parse("1234.5", eur).unwrap().minor, 123_450);
        assert_eq!(Money::parse(" 65 000 ", eur).unwrap().minor, 6_500_000);
        assert_eq!(Money::parse("-20", eur).unwrap().minor, -2_000);
        assert_eq!(Money::parse("10.50", eur).unwrap().minor, 1_050);
        assert_eq!(
            Money::parse("1.234", eur),
            Err(MoneyError::TooPrecise { decimals: 2 })
        );

        let jpy = c("JPY");
        assert_eq!(Money::parse("500000", jpy).unwrap().minor, 500_000);
        assert_eq!(Money::parse("500,000", jpy).unwrap().minor, 500_000);
        assert_eq!(Money::parse("500000.00", jpy).unwrap().minor, 500_000);
        assert_eq!(
            Money::parse("1.5", jpy),
            Err(MoneyError::TooPrecise { decimals: 0 })
        );

        let kwd = c("KWD");
        assert_eq!(Money::parse("1.5", kwd).unwrap().minor, 1_500);
        assert_eq!(Money::parse("1,234.567", kwd).unwrap().minor, 1_234_567);
        assert!(Money::parse("1.2345", kwd).is_err());

        for bad in ["abc", "1.2.3", "1e5", ".5", "5.", "--1", "1-"] {
            assert_eq!(Money::parse(bad, eur), Err(MoneyError::NotANumber), "{bad}");
        }
        assert_eq!(Money::parse(" , ", eur), Err(MoneyError::Empty));
        assert_eq!(
            Money::parse("99999999999999999999", eur),
            Err(MoneyError::TooLarge)
        );
        assert_eq!(
            Money::parse("92233720368547758.08", eur),
            Err(MoneyError::TooLarge)
        );
    }

    #[test]
    fn amounts_are_shown_with_their_decimal_places() {
        let m = |minor, code| Money::new(minor, c(code));
        assert_eq!(m(6_000_000, "EUR").display(), "€60,000");
        assert_eq!(m(123_450, "USD").display(), "$1,234.50");
        assert_eq!(m(-2_000, "GBP").display(), "-£20");
        assert_eq!(m(9_000_000, "CHF").display(), "CHF 90,000");
        assert_eq!(m(500_000, "JPY").display(), "¥500,000");
        assert_eq!(m(1_500, "KWD").display(), "KWD 1.500");
        assert_eq!(m(1_000, "KWD").display(), "KWD 1");
        assert_eq!(m(5, "EUR").to_string(), "€0.05");

        assert_eq!(m(6_500_000, "EUR").plain(), "65000");
        assert_eq!(m(6_500_050, "EUR").plain(), "65000.50");
        assert_eq!(m(500_000, "JPY").plain(), "500000");
        assert_eq!(m(1_234_567, "KWD").plain(), "1234.567");
        assert_eq!(m(-150, "EUR").plain(), "-1.50");
        for (minor, code) in [(6_500_050, "EUR"), (500_000, "JPY"), (1_234_567, "KWD")] {
            let shown = m(minor, code).plain();
            assert_eq!(Money::parse(&shown, c(code)).unwrap().minor, minor);
        }
    }
}
