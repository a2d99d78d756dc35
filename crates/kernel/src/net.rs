//! Client addresses behind reverse proxies: a small CIDR matcher, the list of trusted proxy
//! networks and the rightmost-untrusted walk of `X-Forwarded-For`; plus the key an address is
//! rate-limited under (IPv6 clients by their /64, which one subscriber usually holds whole).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

/// An IP network such as `10.0.0.0/8` or `::1/128`; a bare address is a single-host network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// True when `ip` lies in this network (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                u32::from(ip) & mask_v4(self.prefix) == u32::from(net)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                u128::from(ip) & mask_v6(self.prefix) == u128::from(net)
            }
            _ => false,
        }
    }
}

fn mask_v4(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask_v6(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not a network like 10.0.0.0/8 or ::1/128"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0 to {max}"))?,
        };
        let masked = match network {
            IpAddr::V4(n) => IpAddr::V4(Ipv4Addr::from(u32::from(n) & mask_v4(prefix))),
            IpAddr::V6(n) => IpAddr::V6(Ipv6Addr::from(u128::from(n) & mask_v6(prefix))),
        };
        if masked != network {
            // Most likely a typo (an address where a network was meant): refuse, say which.
            return Err(format!(
                "{s:?} has host bits set; the network is {masked}/{prefix}"
            ));
        }
        Ok(Cidr { network, prefix })
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// The proxies whose `X-Forwarded-For` is believed. Empty: the socket peer is the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(pub Vec<Cidr>);

impl TrustedProxies {
    /// Loopback only (`127.0.0.0/8`, `::1/128`): what the deprecated `trust_proxy_headers` meant.
    pub fn loopback() -> Vec<Cidr> {
        vec![
            Cidr {
                network: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)),
                prefix: 8,
            },
            Cidr {
                network: IpAddr::V6(Ipv6Addr::LOCALHOST),
                prefix: 128,
            },
        ]
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|c| c.contains(ip))
    }

    /// The client address of a request from socket peer `peer` carrying the `X-Forwarded-For`
    /// header lines `forwarded` (in the order received). A peer outside the list is the client
    /// and the header is ignored, so an untrusted peer cannot choose its address. Otherwise the
    /// hops are read from the right (each proxy appends the address it saw) and the first one
    /// not in the list is the client: entries left of it were written by the client itself.
    /// When every hop is trusted the leftmost is taken; an unreadable hop stops the walk at the
    /// last trusted one.
    pub fn client_ip<'a>(
        &self,
        peer: IpAddr,
        forwarded: impl DoubleEndedIterator<Item = &'a str>,
    ) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        let mut hop = peer;
        for entry in forwarded.rev().flat_map(|line| line.rsplit(',')) {
            let Some(ip) = parse_hop(entry) else { break };
            hop = ip;
            if !self.contains(ip) {
                break;
            }
        }
        hop
    }
}

/// One `X-Forwarded-For` entry: an address, optionally with a port (`1.2.3.4:80`, `[::1]:80`).
fn parse_hop(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    let ip = entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            entry
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .and_then(|e| e.parse().ok())
        })?;
    Some(ip.to_canonical())
}

/// The key an address is rate-limited under: an IPv4 address itself, an IPv6 address's /64
/// (a subscriber gets at least a /64 and can pick any address in it).
pub fn rate_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask_v6(64))),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(list: &[&str]) -> TrustedProxies {
        TrustedProxies(list.iter().map(|s| s.parse().unwrap()).collect())
    }

    #[test]
    fn cidr_parses_and_matches() {
        let ten: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(ten.contains(ip("10.255.1.2")));
        assert!(!ten.contains(ip("11.0.0.1")));
        assert!(
            ten.contains(ip("::ffff:10.1.2.3")),
            "IPv4-mapped counts as IPv4"
        );
        assert!(!ten.contains(ip("::1")));
        let host: Cidr = "192.0.2.7".parse().unwrap();
        assert_eq!(host.to_string(), "192.0.2.7/32");
        assert!(host.contains(ip("192.0.2.7")) && !host.contains(ip("192.0.2.8")));
        let any: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(any.contains(ip("203.0.113.1")) && !any.contains(ip("2001:db8::1")));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")) && !v6.contains(ip("2001:db9::1")));
        let lo: Cidr = "::1/128".parse().unwrap();
        assert!(lo.contains(ip("::1")) && !lo.contains(ip("::2")));
        let all6: Cidr = "::/0".parse().unwrap();
        assert!(all6.contains(ip("2001:db8::1")));
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "10.0.0.1/8",
            "x/8",
            "10.0.0.0/-1",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn forwarded_for_is_read_from_the_right_and_only_from_trusted_peers() {
        let trusted = nets(&["10.0.0.0/8", "::1/128"]);
        let client = |peer: &str, xff: &[&str]| trusted.client_ip(ip(peer), xff.iter().copied());
        // An untrusted peer is the client, whatever it claims.
        assert_eq!(client("203.0.113.5", &["198.51.100.1"]), ip("203.0.113.5"));
        // A trusted peer: the rightmost untrusted hop; the client's own (spoofed) entries are
        // to the left of it and ignored.
        assert_eq!(
            client("10.0.0.2", &["6.6.6.6, 203.0.113.9, 10.0.0.3"]),
            ip("203.0.113.9")
        );
        assert_eq!(
            client("::1", &["6.6.6.6", "203.0.113.9:4711", "10.1.1.1"]),
            ip("203.0.113.9")
        );
        assert_eq!(client("10.0.0.2", &["[2001:db8::7]:80"]), ip("2001:db8::7"));
        // No header: the proxy itself; all hops trusted: the leftmost; garbage stops the walk.
        assert_eq!(client("10.0.0.2", &[]), ip("10.0.0.2"));
        assert_eq!(client("10.0.0.2", &["10.9.9.9, 10.0.0.3"]), ip("10.9.9.9"));
        assert_eq!(
            client("10.0.0.2", &["6.6.6.6, junk, 10.0.0.3"]),
            ip("10.0.0.3")
        );
        // Nothing trusted: the header never counts.
        let none = TrustedProxies::default();
        assert_eq!(
            none.client_ip(ip("127.0.0.1"), ["6.6.6.6"].into_iter()),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn ipv6_clients_share_a_key_per_64() {
        assert_eq!(rate_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(
            rate_key(ip("2001:db8:1:2:ffff::9")),
            rate_key(ip("2001:db8:1:2::1"))
        );
        assert_ne!(
            rate_key(ip("2001:db8:1:3::1")),
            rate_key(ip("2001:db8:1:2::1"))
        );
        assert_eq!(rate_key(ip("192.0.2.1")), ip("192.0.2.1"));
        assert_eq!(rate_key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
    }
}
