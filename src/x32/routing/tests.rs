//! Routing analysis on hand-built desk states.

use std::collections::BTreeMap;

use super::*;
use crate::x32::backup::ConsoleInfo;

fn desk(nodes: &[(&str, &str)]) -> Backup {
    let nodes: BTreeMap<String, String> = nodes
        .iter()
        .map(|(p, f)| ((*p).to_owned(), (*f).to_owned()))
        .collect();
    for (p, f) in &nodes {
        node::read_line(&format!("{p} {f}")).unwrap_or_else(|e| panic!("{p}: {e}"));
    }
    Backup::new(ConsoleInfo::default(), vec![], nodes)
}

/// Outputs 1-16 on the XLRs as the console ships; LR on outputs 15-16.
const BASE: [(&str, &str); 4] = [
    ("/config/routing/OUT", "OUT1-4 OUT9-12 OUT5-8 OUT13-16"),
    ("/outputs/main/15", "1 POST OFF"),
    ("/outputs/main/16", "2 POST OFF"),
    ("/main/st/mix", "ON +0.00 +0"),
];

#[test]
fn bus_to_matrix_to_card_ranks_the_matrix_first() {
    let mut nodes = BASE.to_vec();
    nodes.extend([
        ("/bus/05/mix/01", "ON +0.0 +0 POST"),
        ("/bus/05/mix", "ON +0.00 OFF +0 OFF -oo"),
        ("/mtx/01/config", "\"Stream\" 70 CY"),
        ("/mtx/01/mix", "ON +0.00"),
        ("/outputs/main/09", "20 POST OFF"),
        ("/outputs/main/10", "20 POST OFF"),
        // Card 1-8 carry outputs 9-16.
        ("/config/routing/CARD", "OUT9-16 OUT1-8 AN17-24 AN25-32"),
    ]);
    let a = analyze(&desk(&nodes));
    let ranked: Vec<Strip> = a.candidates.iter().map(|c| c.strip).collect();
    // Outputs 1-8 on card 9-16 carry nothing; LR (outputs 15-16) reaches the XLRs 15-16 and
    // card 7-8.
    assert_eq!(ranked, vec![Strip::Matrix(1), Strip::MainStereo]);
    let top = &a.candidates[0];
    assert_eq!(
        top.reasons[..2],
        [
            "matrix 1 ← bus 5".to_owned(),
            "patched to card (USB) outputs 1-2 (from output 9, output 10)".to_owned()
        ]
    );
    assert!(top.reasons.contains(&"named \"Stream\"".to_owned()));
    let lr = a
        .reaches
        .iter()
        .find(|r| r.strip == Strip::MainStereo)
        .unwrap();
    assert_eq!(
        lr.destinations[&Destination::LocalOut],
        BTreeSet::from([15, 16])
    );
    assert_eq!(lr.destinations[&Destination::Card], BTreeSet::from([7, 8]));
    let text = a.to_string();
    assert!(
        text.contains("matrix 1 \"Stream\" → output 9, output 10 → card (USB) outputs 1-2"),
        "{text}"
    );
    assert!(text.contains("  1. matrix 1 \"Stream\" (score"), "{text}");
}

#[test]
fn lr_to_matrix_to_aes50_outranks_a_monitor_bus() {
    let mut nodes = BASE.to_vec();
    nodes.extend([
        ("/main/st/mix/02", "ON -3.0 +0 POST"),
        ("/mtx/02/mix", "ON +0.00"),
        ("/outputs/main/01", "21 POST OFF"),
        (
            "/config/routing/AES50A",
            "OUT1-8 AN9-16 AN17-24 AN25-32 AN1-8 AN1-8",
        ),
        // Bus 3 on P16 1: a personal monitor.
        ("/outputs/p16/01", "6 POST"),
        ("/bus/03/mix", "ON +0.00 OFF +0 OFF -oo"),
    ]);
    let a = analyze(&desk(&nodes));
    let ranked: Vec<Strip> = a.candidates.iter().map(|c| c.strip).collect();
    assert_eq!(
        ranked,
        vec![Strip::Matrix(2), Strip::MainStereo, Strip::Bus(3)]
    );
    assert_eq!(a.candidates[0].reasons[0], "matrix 2 ← LR");
    assert_eq!(
        a.candidates[0].reasons[1],
        "patched to AES50 A outputs 1 (from output 1)"
    );
    assert_eq!(a.matrix_feeds[&2], vec![Strip::MainStereo]);
    // Matrix 2 also reaches XLR output 1 through the OUT block.
    let m2 = &a.reaches[a
        .reaches
        .iter()
        .position(|r| r.strip == Strip::Matrix(2))
        .unwrap()];
    assert_eq!(m2.destinations[&Destination::LocalOut], BTreeSet::from([1]));
}

#[test]
fn lr_plus_a_bus_in_a_matrix_is_the_classic_stream_feed() {
    let mut nodes = BASE.to_vec();
    nodes.extend([
        ("/main/st/mix/01", "ON +0.0 +0 POST"),
        ("/bus/05/mix/01", "ON -6.0 +0 POST"),
        // Bus 6's send is on but at -oo: not a feed.
        ("/bus/06/mix/01", "ON -oo +0 POST"),
        ("/mtx/01/mix", "ON +0.00"),
        ("/outputs/main/09", "20 POST OFF"),
        ("/outputs/main/10", "20 POST OFF"),
        // LR straight on card 3-4 through user outputs 3-4 (169+12 = output 13, …).
        ("/outputs/main/13", "1 POST OFF"),
        ("/outputs/main/14", "2 POST OFF"),
        ("/config/userrout/out", USER_OUTS),
        ("/config/routing/CARD", "UOUT1-8 AN9-16 AN17-24 AN25-32"),
    ]);
    let a = analyze(&desk(&nodes));
    assert_eq!(a.candidates[0].strip, Strip::Matrix(1));
    assert_eq!(a.candidates[0].reasons[0], "matrix 1 ← LR + bus 5");
    assert!(a.candidates[0].score > a.candidates[1].score + 20);
    assert_eq!(a.candidates[1].strip, Strip::MainStereo);
    assert!(
        a.candidates[1].reasons[0].starts_with("patched to card (USB) outputs 3-4"),
        "{:?}",
        a.candidates[1].reasons
    );
    assert!(a.candidates[1].reasons[0].contains("user out 3 (output 13)"));
}

/// User outs 1-2 = outputs 9-10, 3-4 = outputs 13-14, the rest off.
const USER_OUTS: &str = "177 178 181 182 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0";

#[test]
fn a_muted_matrix_with_nothing_sent_ranks_below_lr() {
    let mut nodes = BASE.to_vec();
    nodes.extend([
        ("/mtx/03/mix", "OFF -oo"),
        ("/outputs/main/01", "22 POST OFF"),
        ("/outputs/main/02", "22 POST OFF"),
    ]);
    let a = analyze(&desk(&nodes));
    let ranked: Vec<Strip> = a.candidates.iter().map(|c| c.strip).collect();
    assert_eq!(ranked, vec![Strip::MainStereo, Strip::Matrix(3)]);
    let reasons = &a.candidates[1].reasons;
    for r in ["nothing is sent to matrix 3", "muted", "fader at -oo"] {
        assert!(reasons.contains(&r.to_owned()), "{reasons:?}");
    }
}

#[test]
fn nothing_routed_gives_no_candidates_and_says_why() {
    // A blank desk: every output source OFF, every block on analog inputs.
    let a = analyze(&desk(&[
        ("/outputs/main/01", "0 IN/LC OFF"),
        ("/outputs/aux/01", "0 IN/LC OFF"),
        ("/config/routing/CARD", "AN1-8 AN9-16 AN17-24 AN25-32"),
        ("/config/routing/OUT", "AN1-4 AN1-4 AN5-8 AN5-8"),
        ("/bus/01/mix/01", "ON +0.0 +0 POST"),
    ]));
    assert!(a.candidates.is_empty());
    assert!(a.reaches.is_empty());
    let text = a.to_string();
    assert!(text.contains(Analysis::NOTHING_ROUTED), "{text}");
    assert!(text.contains("matrix 1 ← bus 1"), "{text}");
}

#[test]
fn ranges_join_neighbours() {
    let set = BTreeSet::from([1, 2, 3, 5, 7, 8]);
    assert_eq!(ranges(&set), "1-3, 5, 7-8");
}
