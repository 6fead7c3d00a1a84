//! File form → model: fills defaults, resolves strips and paths, and checks every value,
//! collecting each problem with its place instead of stopping at the first.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use toml::Spanned;

use super::file::{
    CamillaFile, FileConfig, StabilizerFile, StateFile, SurfaceFile, UiFile, WebFile, X32File,
};

use super::model::{
    defaults, limits, CamillaConfig, Config, FollowBank, LogConfig, RestoreConfig,
    StabilizerConfig, StateConfig, SurfaceConfig, UiConfig, WebConfig, X32Config,
};
use crate::desk::Strip;
use crate::stabilizer::{PidGains, RateOverrides};
use crate::tomlfile::{self, Diagnostics};

/// Builds the model, or leaves every problem in `diags` (then the returned value is not used).
pub(super) fn build(file: FileConfig, config_path: &Path, diags: &mut Diagnostics) -> Config {
    let (x32, camilla, mixers_span) = match file.mixers {
        Some(m) => {
            let span = m.span();
            let m = m.into_inner();
            (m.x32, m.camilla, span)
        }
        None => (None, None, 0..0),
    };
    if x32.is_none() && camilla.is_none() {
        diags.at(
            mixers_span,
            "no mixer configured; add [mixers.x32] with an address, or [mixers.camilla] with \
             a url (see pupitre.example.toml)",
        );
    }
    let has_x32 = x32.is_some();
    let surfaces = surfaces(file.surfaces, config_path, diags);
    let surface_names: Vec<String> = surfaces
        .iter()
        .filter(|s| s.enabled)
        .map(|s| s.name.clone())
        .collect();
    Config {
        x32: x32.map(|x| x32_config(x, diags)),
        camilla: camilla.map(|c| camilla_config(c, config_path, diags)),
        surfaces,
        stabilizer: stabilizer(file.stabilizer, has_x32, diags),
        ui: ui(file.ui, &surface_names, diags),
        restore: file
            .state
            .as_ref()
            .map_or_else(RestoreConfig::default, |s| RestoreConfig {
                x32: s.restore_x32.unwrap_or(false),
                camilla: s.restore_camilla.unwrap_or(true),
            }),
        state: state(file.state, config_path, diags),
        web: file.web.and_then(|w| web(w, config_path, diags)),
        log: LogConfig {
            level: file.log.and_then(|l| l.level).unwrap_or_default(),
        },
    }
}

fn x32_config(x: X32File, diags: &mut Diagnostics) -> X32Config {
    let address = match x32_address(x.address.get_ref()) {
        Ok(a) => a,
        Err(why) => {
            diags.at(
                x.address.span(),
                format!("address = {:?} {why}", x.address.get_ref()),
            );
            String::new()
        }
    };
    let strips = match x.strips {
        Some(specs) => {
            let mut strips = Vec::new();
            for spec in specs {
                match Strip::parse_range(spec.get_ref()) {
                    Ok(found) => strips.extend(found),
                    Err(why) => diags.at(
                        spec.span(),
                        format!("bad strip {:?}: {why}", spec.get_ref()),
                    ),
                }
            }
            strips
        }
        None => defaults::X32_STRIPS
            .iter()
            .flat_map(|s| Strip::parse_range(s).unwrap_or_default())
            .collect(),
    };
    X32Config {
        address,
        local_port: x.local_port.unwrap_or(defaults::LOCAL_PORT),
        meters: x.meters.unwrap_or(defaults::METERS),
        strips: dedup(strips),
    }
}

/// `host` or `host:port` → `host:port`; IPv6 literals may come bare or in brackets.
fn x32_address(s: &str) -> Result<String, String> {
    let example = "expected a host or host:port, e.g. \"192.168.1.62\" or \"x32.local:10023\"";
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, defaults::X32_PORT).to_string());
    }
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return match addr.port() {
            0 => {
                Err("has port 0; expected a port from 1 to 65535 (the X32 listens on 10023)".into())
            }
            _ => Ok(addr.to_string()),
        };
    }
    let (host, port) = match s.rsplit_once(':') {
        Some((host, port)) => match port.parse::<u16>() {
            Ok(p) if p > 0 => (host, p),
            _ => {
                return Err(format!(
                    "has a bad port {port:?}; expected a port from 1 to 65535 (the X32 listens \
                     on 10023)"
                ))
            }
        },
        None => (s, defaults::X32_PORT),
    };
    if host.is_empty() {
        return Err(format!("has no host; {example}"));
    }
    if !is_host_name(host) {
        return Err(format!("is not a host name; {example}"));
    }
    Ok(format!("{host}:{port}"))
}

fn is_host_name(host: &str) -> bool {
    host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

fn dedup(strips: Vec<Strip>) -> Vec<Strip> {
    let mut seen = std::collections::HashSet::new();
    strips.into_iter().filter(|s| seen.insert(*s)).collect()
}

fn camilla_config(c: CamillaFile, config_path: &Path, diags: &mut Diagnostics) -> CamillaConfig {
    let url = c.url.get_ref();
    let example = "e.g. \"ws://127.0.0.1:1234\"";
    let rest = url
        .strip_prefix("ws://")
        .or_else(|| url.strip_prefix("wss://"));
    let problem = match rest {
        None => Some(format!("must start with ws:// or wss://, {example}")),
        Some(rest) => {
            let authority = rest.split('/').next().unwrap_or("");
            if authority.is_empty() {
                Some(format!("has no host; {example}"))
            } else if url.chars().any(char::is_whitespace) {
                Some(format!("contains a space; {example}"))
            } else {
                None
            }
        }
    };
    if let Some(p) = problem {
        diags.at(c.url.span(), format!("url = {url:?} {p}"));
    }
    let count = |v: &Option<Spanned<i64>>,
                 key: &str,
                 (lo, hi): (i64, i64),
                 default: i64,
                 diags: &mut Diagnostics| {
        v.as_ref()
            .map_or(Some(default), |n| {
                tomlfile::int_in(n, lo..hi + 1, key, diags)
            })
            .unwrap_or(default)
    };
    let channels = count(&c.channels, "channels", (1, 64), 2, diags) as u8;
    let aux_faders = count(&c.aux_faders, "aux_faders", (0, 4), 0, diags) as u8;
    let folder = config_path.parent().unwrap_or(Path::new(""));
    let config = c.config.as_ref().map(|written| {
        let path = folder.join(written.get_ref());
        if !path.is_file() {
            diags.at(
                written.span(),
                format!(
                    "CamillaDSP config {:?} not found; looked for {} (paths are relative to the \
                     config file's folder)",
                    written.get_ref(),
                    path.display()
                ),
            );
        }
        path
    });
    CamillaConfig {
        url: c.url.into_inner(),
        channels,
        aux_faders,
        config,
        crossfader: c.crossfader,
        group_tone: c.group_tone,
    }
}

fn surfaces(
    files: Vec<SurfaceFile>,
    config_path: &Path,
    diags: &mut Diagnostics,
) -> Vec<SurfaceConfig> {
    let folder = config_path.parent().unwrap_or(Path::new(""));
    let mut first_use: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for s in files {
        let name = s.name.get_ref();
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        {
            diags.at(
                s.name.span(),
                format!(
                    "surface name {name:?} may use only lowercase letters a-z, digits, \"_\" \
                     and \"-\", e.g. \"xtouch\""
                ),
            );
        } else if let Some(&line) = first_use.get(name) {
            diags.at(
                s.name.span(),
                format!(
                    "surface name {name:?} is already used on line {line}; names must be unique"
                ),
            );
        } else {
            first_use.insert(name.clone(), diags.line_of(s.name.span().start));
        }
        let written = s.mapping.get_ref();
        let mapping = folder.join(written);
        let problem = if written.is_empty() {
            Some("mapping is empty; expected a path like \"mappings/xtouch.toml\"".to_owned())
        } else {
            match std::fs::metadata(&mapping) {
                Ok(m) if m.is_file() => None,
                Ok(_) => Some(format!(
                    "mapping {written:?} is not a file ({})",
                    mapping.display()
                )),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(format!(
                    "mapping file {written:?} not found; looked for {} (paths are relative to \
                     the config file's folder)",
                    mapping.display()
                )),
                Err(e) => Some(format!("mapping file {written:?} cannot be read: {e}")),
            }
        };
        if let Some(p) = problem {
            diags.at(s.mapping.span(), p);
        }
        out.push(SurfaceConfig {
            name: s.name.into_inner(),
            mapping,
            enabled: s.enabled.unwrap_or(defaults::SURFACE_ENABLED),
        });
    }
    out
}

fn stabilizer(
    file: Option<StabilizerFile>,
    has_x32: bool,
    diags: &mut Diagnostics,
) -> StabilizerConfig {
    let base = StabilizerConfig::default();
    let Some(f) = file else { return base };
    let enabled = match f.enabled {
        Some(e) if *e.get_ref() && !has_x32 => {
            diags.at(
                e.span(),
                "the stabilizer rides an X32 fader, but no [mixers.x32] is configured; add one \
                 or set enabled = false",
            );
            true
        }
        Some(e) => e.into_inner(),
        None => base.enabled,
    };
    let source = match f.source {
        Some(s) => stabilizer_source(s.get_ref()).unwrap_or_else(|why| {
            diags.at(s.span(), format!("source = {:?} {why}", s.get_ref()));
            base.source
        }),
        None => base.source,
    };
    StabilizerConfig {
        enabled,
        source,
        target_lufs: in_range(
            f.target_lufs,
            "target_lufs",
            limits::TARGET_LUFS,
            base.target_lufs,
            diags,
        ),
        profile: f.profile.unwrap_or(base.profile),
        mode: f.mode.unwrap_or(base.mode),
        max_boost_db: in_range(
            f.max_boost_db,
            "max_boost_db",
            limits::MAX_BOOST_DB,
            base.max_boost_db,
            diags,
        ),
        max_cut_db: in_range(
            f.max_cut_db,
            "max_cut_db",
            limits::MAX_CUT_DB,
            base.max_cut_db,
            diags,
        ),
        resume_after_s: in_range(
            f.resume_after_s,
            "resume_after_s",
            limits::RESUME_AFTER_S,
            base.resume_after_s,
            diags,
        ),
        meter_position: match f.meter_position {
            Some(m) => m.get_ref().parse().unwrap_or_else(|why: String| {
                diags.at(m.span(), format!("meter_position: {why}"));
                base.meter_position
            }),
            None => base.meter_position,
        },
        loop_delay_ms: in_range(
            f.loop_delay_ms,
            "loop_delay_ms",
            limits::LOOP_DELAY_MS,
            base.loop_delay_ms,
            diags,
        ),
        rates: RateOverrides {
            up_db_s: optional_in_range(f.up_db_per_s, "up_db_per_s", limits::UP_DB_PER_S, diags),
            down_db_s: optional_in_range(
                f.down_db_per_s,
                "down_db_per_s",
                limits::DOWN_DB_PER_S,
                diags,
            ),
            emergency_db_s: optional_in_range(
                f.emergency_db_per_s,
                "emergency_db_per_s",
                limits::EMERGENCY_DB_PER_S,
                diags,
            ),
            window_db: optional_in_range(f.window_db, "window_db", limits::WINDOW_DB, diags),
        },
        pid: PidGains {
            kp: in_range(f.kp, "kp", limits::PID_GAIN, base.pid.kp, diags),
            ki: in_range(f.ki, "ki", limits::PID_GAIN, base.pid.ki, diags),
            kd: in_range(f.kd, "kd", limits::PID_GAIN, base.pid.kd, diags),
        },
    }
}

/// [`in_range`] for a key whose absence means "the profile decides".
fn optional_in_range(
    value: Option<Spanned<f64>>,
    key: &str,
    range: (f64, f64, &str),
    diags: &mut Diagnostics,
) -> Option<f64> {
    let x = in_range(Some(value?), key, range, f64::NAN, diags);
    (!x.is_nan()).then_some(x)
}

/// The strip a stabilizer source names: one bus, matrix or main.
pub fn stabilizer_source(spec: &str) -> Result<Strip, String> {
    let kinds = "the stabilizer rides one bus, matrix or main: bus/NN, mtx/NN, main/st or main/m";
    let strips = Strip::parse_range(spec).map_err(|why| format!("is not a strip: {why}"))?;
    match strips.as_slice() {
        [one @ (Strip::Bus(_) | Strip::Matrix(_) | Strip::MainStereo | Strip::MainMono)] => {
            Ok(*one)
        }
        [_] => Err(format!("cannot be stabilized; {kinds}")),
        many => Err(format!("names {} strips; {kinds}", many.len())),
    }
}

fn in_range(
    value: Option<Spanned<f64>>,
    key: &str,
    (lo, hi, unit): (f64, f64, &str),
    default: f64,
    diags: &mut Diagnostics,
) -> f64 {
    match value {
        None => default,
        Some(v) if (lo..=hi).contains(v.get_ref()) => v.into_inner(),
        Some(v) => {
            diags.at(
                v.span(),
                format!(
                    "{key} = {:?} is out of range; expected {lo:?} to {hi:?} {unit}",
                    v.get_ref()
                ),
            );
            default
        }
    }
}

fn ui(file: Option<UiFile>, surfaces: &[String], diags: &mut Diagnostics) -> UiConfig {
    let base = UiConfig::default();
    let Some(f) = file else {
        return base;
    };
    let follow_bank = match f.follow_bank {
        None => base.follow_bank.clone(),
        Some(v) => match v.get_ref().as_str() {
            "auto" => FollowBank::Auto,
            "none" => FollowBank::None,
            name if surfaces.iter().any(|s| s == name) => FollowBank::Surface(name.to_owned()),
            name => {
                let known = if surfaces.is_empty() {
                    "no enabled [[surfaces]]".to_owned()
                } else {
                    format!("enabled surfaces: {}", surfaces.join(", "))
                };
                diags.at(
                    v.span(),
                    format!(
                        "follow_bank = {name:?} is not an enabled surface; expected \"auto\", \
                         \"none\" or a surface name ({known})"
                    ),
                );
                FollowBank::Auto
            }
        },
    };
    UiConfig {
        language: f.language.unwrap_or(base.language),
        theme: f.theme.unwrap_or(base.theme),
        density: f.density.unwrap_or(base.density),
        follow_bank,
        headless: f.headless.unwrap_or(base.headless),
    }
}

fn state(file: Option<StateFile>, config_path: &Path, diags: &mut Diagnostics) -> StateConfig {
    let Some(dir) = file.and_then(|f| f.dir) else {
        return StateConfig::default();
    };
    if dir.get_ref().is_empty() {
        diags.at(
            dir.span(),
            "dir is empty; expected a folder like \"/var/lib/pupitre\" (or leave it out)",
        );
        return StateConfig::default();
    }
    let folder = config_path.parent().unwrap_or(Path::new(""));
    StateConfig::Dir(folder.join(dir.get_ref()))
}

fn web(f: WebFile, config_path: &Path, diags: &mut Diagnostics) -> Option<WebConfig> {
    let listen = match &f.listen {
        None => SocketAddr::from(([0, 0, 0, 0], crate::web::DEFAULT_PORT)),
        Some(l) => match web_listen(l.get_ref()) {
            Ok(a) => a,
            Err(why) => {
                diags.at(l.span(), why);
                SocketAddr::from(([0, 0, 0, 0], crate::web::DEFAULT_PORT))
            }
        },
    };
    let folder = config_path.parent().unwrap_or(Path::new(""));
    let tls = match (&f.tls_cert, &f.tls_key) {
        (None, None) => None,
        (Some(c), Some(k)) => Some((folder.join(c.get_ref()), folder.join(k.get_ref()))),
        (Some(one), None) | (None, Some(one)) => {
            diags.at(
                one.span(),
                "TLS needs both tls_cert and tls_key (PEM files: the certificate chain and its private key)",
            );
            None
        }
    };
    let mut allowed_origins = Vec::new();
    for o in f.allowed_origins.unwrap_or_default() {
        match web_origin(o.get_ref()) {
            Ok(ok) => allowed_origins.push(ok),
            Err(why) => diags.at(o.span(), why),
        }
    }
    f.enabled.unwrap_or(false).then_some(WebConfig {
        listen,
        tls,
        allowed_origins,
    })
}

/// `listen`: an address with a port, or an address alone (port 8032).
pub(crate) fn web_listen(text: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = text.parse::<SocketAddr>() {
        return Ok(a);
    }
    if let Ok(ip) = text.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, crate::web::DEFAULT_PORT));
    }
    Err(format!(
        "{text:?} is not an address to listen on; expected \"0.0.0.0:8032\" (every address), \
         \"127.0.0.1:8032\" (this machine only) or \"[::]:8032\""
    ))
}

/// An origin as browsers send it: `https://host` or `https://host:port`, nothing after.
fn web_origin(text: &str) -> Result<String, String> {
    let hint = "expected an origin like \"https://desk.example.org\" or \"http://192.168.1.20:8080\" (scheme, host, optional port; no path)";
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err(format!("{text:?}: {hint}"));
    };
    if !matches!(scheme, "http" | "https") || rest.is_empty() || rest.contains('/') {
        return Err(format!("{text:?}: {hint}"));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_addresses_and_origins_are_checked() {
        assert_eq!(web_listen("127.0.0.1:9000").unwrap().port(), 9000);
        assert_eq!(web_listen("0.0.0.0").unwrap().port(), 8032);
        assert_eq!(web_listen("[::]").unwrap().port(), 8032);
        assert!(web_listen("desk:80")
            .unwrap_err()
            .contains("not an address"));
        assert!(web_origin("https://desk.example.org").is_ok());
        assert!(web_origin("desk.example.org").is_err());
        assert!(web_origin("https://desk/x").is_err());
        assert!(web_origin("ftp://desk").is_err());
    }

    #[test]
    fn addresses_get_their_port() {
        assert_eq!(x32_address("192.168.1.62").unwrap(), "192.168.1.62:10023");
        assert_eq!(
            x32_address("192.168.1.62:10024").unwrap(),
            "192.168.1.62:10024"
        );
        assert_eq!(x32_address("x32.local").unwrap(), "x32.local:10023");
        assert_eq!(x32_address("x32-desk:9000").unwrap(), "x32-desk:9000");
        assert_eq!(x32_address("::1").unwrap(), "[::1]:10023");
        assert_eq!(x32_address("[::1]:10024").unwrap(), "[::1]:10024");
        assert!(x32_address("").unwrap_err().contains("no host"));
        assert!(x32_address("x32 desk")
            .unwrap_err()
            .contains("not a host name"));
        assert!(x32_address("x32:99999").unwrap_err().contains("bad port"));
        assert!(x32_address("1.2.3.4:0").unwrap_err().contains("port 0"));
        assert!(x32_address(":10023").unwrap_err().contains("no host"));
    }

    #[test]
    fn stabilizer_sources_are_single_buses_matrices_or_mains() {
        assert_eq!(stabilizer_source("mtx/01"), Ok(Strip::Matrix(1)));
        assert_eq!(stabilizer_source("bus/16"), Ok(Strip::Bus(16)));
        assert_eq!(stabilizer_source("main/st"), Ok(Strip::MainStereo));
        assert_eq!(stabilizer_source("main/m"), Ok(Strip::MainMono));
        assert!(stabilizer_source("ch/01")
            .unwrap_err()
            .contains("cannot be stabilized"));
        assert!(stabilizer_source("dca/1")
            .unwrap_err()
            .contains("cannot be stabilized"));
        assert!(stabilizer_source("bus/01-02")
            .unwrap_err()
            .contains("names 2 strips"));
        assert!(stabilizer_source("mtx/07")
            .unwrap_err()
            .contains("matrices are 01–06"));
    }
}
