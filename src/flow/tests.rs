use super::*;
use crate::decode::Tcp;
use std::net::Ipv4Addr;

fn ip(d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, d))
}

fn ev(f: u64, secs: u64) -> Ev {
    Ev {
        input: 0,
        frame: f,
        ts: Timestamp::from_secs_nanos(secs, 0),
    }
}

fn seg(flags: u8) -> Tcp<'static> {
    Tcp {
        sport: 0,
        dport: 0,
        seq: 0,
        ack: 0,
        flags,
        window: 0,
        checksum: 0,
        payload: &[],
        payload_len: 0,
    }
}

#[test]
fn key_is_direction_agnostic() {
    let (k1, s1) = FlowKey::new(ip(2), 502, ip(1), 40000, 6);
    let (k2, s2) = FlowKey::new(ip(1), 40000, ip(2), 502, 6);
    assert_eq!(k1, k2);
    assert_ne!(s1, s2);
    assert_eq!(
        FlowKey::symmetric_hash(ip(1), ip(2)),
        FlowKey::symmetric_hash(ip(2), ip(1))
    );
    assert_ne!(
        FlowKey::symmetric_hash(ip(1), ip(2)),
        FlowKey::symmetric_hash(ip(1), ip(3))
    );
}

fn new_flow() -> (FlowTable<()>, u32) {
    let mut t = FlowTable::<()>::new(10, 600, 30);
    let (k, _) = FlowKey::new(ip(1), 40000, ip(2), 502, 6);
    let (slot, ev0) = t.create(k, guess_client(&k), Initiator::PortHeuristic, ev(1, 0));
    assert!(ev0.is_none());
    (t, slot)
}

#[test]
fn handshake_outcomes() {
    // key.a = 10.0.0.1:40000 (side 0, the client), key.b = 10.0.0.2:502 (side 1)
    let (mut t, s) = new_flow();
    let f = t.flow(s);
    assert_eq!(f.client, 0, "port heuristic: 502 is the service");
    f.on_tcp(0, &seg(TCP_SYN), ev(1, 0));
    assert_eq!(f.handshake(), Handshake::Unanswered);
    f.on_tcp(1, &seg(TCP_SYN | TCP_ACK), ev(2, 0));
    f.on_tcp(0, &seg(TCP_ACK), ev(3, 0));
    assert_eq!(f.handshake(), Handshake::Completed);
    assert_eq!(f.tcp.established.unwrap().frame, 3);

    let (mut t, s) = new_flow();
    let f = t.flow(s);
    f.on_tcp(0, &seg(TCP_SYN), ev(1, 0));
    f.on_tcp(1, &seg(TCP_RST | TCP_ACK), ev(2, 0));
    assert_eq!(f.handshake(), Handshake::Refused);
    assert!(!f.answered());

    // SYN not captured: the SYN-ACK orients the flow
    let (mut t, s) = new_flow();
    let f = t.flow(s);
    f.client = 1; // a wrong guess gets corrected
    f.on_tcp(1, &seg(TCP_SYN | TCP_ACK), ev(2, 0));
    assert_eq!((f.client, f.initiator), (0, Initiator::SynAck));
}

#[test]
fn idle_flows_expire_and_the_table_is_bounded() {
    let mut t = FlowTable::<()>::new(3, 600, 30);
    for i in 0..5u8 {
        let (k, _) = FlowKey::new(ip(1), 40000 + i as u16, ip(2), 502, 6);
        let (s, evicted) = t.create(k, 0, Initiator::Syn, ev(i as u64, i as u64));
        // half-open attempts are short-lived and evicted first
        t.flow(s).on_tcp(0, &seg(TCP_SYN), ev(i as u64, i as u64));
        assert_eq!(evicted.is_some(), i >= 3);
        assert!(t.len() <= 3);
    }
    assert_eq!(t.stats.evicted_at_limit, 2);
    let mut gone = Vec::new();
    t.expire(Timestamp::from_secs_nanos(20, 0), &mut |f| gone.push(f.id));
    assert!(gone.is_empty());
    t.expire(Timestamp::from_secs_nanos(40, 0), &mut |f| gone.push(f.id));
    assert_eq!(gone, vec![2, 3, 4]);
    assert!(t.is_empty());
}

#[test]
fn active_flows_do_not_expire() {
    let mut t = FlowTable::<()>::new(10, 60, 30);
    let (k, _) = FlowKey::new(ip(1), 40000, ip(2), 161, 17);
    let (s, _) = t.create(k, 0, Initiator::FirstPacket, ev(1, 0));
    for sec in (10..200).step_by(10) {
        t.flow(s).last_ts = Timestamp::from_secs_nanos(sec, 0);
        let mut gone = 0;
        t.expire(Timestamp::from_secs_nanos(sec, 0), &mut |_| gone += 1);
        assert_eq!(gone, 0);
    }
    let mut gone = 0;
    t.expire(Timestamp::from_secs_nanos(300, 0), &mut |_| gone += 1);
    assert_eq!(gone, 1);
}
