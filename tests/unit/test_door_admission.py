"""The door's session caps, counted without a socket: per address, per network, in all."""

from mailroom.door import Admission, network_of


def test_networks_are_ipv4_slash_24_and_ipv6_slash_64_with_mapped_as_ipv4() -> None:
    assert network_of("192.0.2.7") == "192.0.2.0/24"
    assert network_of("::ffff:192.0.2.9") == "192.0.2.0/24"
    assert network_of("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert network_of("2001:db8:1:2:ffff::9") == network_of("2001:db8:1:2::5")
    assert network_of("2001:db8:1:3::5") != network_of("2001:db8:1:2::5")
    assert network_of("not an address") == "not an address"


def test_a_network_is_capped_across_its_addresses_and_places_come_back() -> None:
    door = Admission(max_sessions=100, per_client=3, per_network=4)
    for host in ("2001:db8::1", "2001:db8::1", "2001:db8::2", "2001:db8::3"):
        assert door.admit(host) is None
    refusal = door.admit("2001:db8::4")
    assert refusal is not None and refusal.startswith("421") and "network" in refusal
    assert door.admit("2001:db8:0:1::1") is None, "the next /64 is another network"
    door.release("2001:db8::3")
    assert door.admit("2001:db8::4") is None
    for host in ("::ffff:198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"):
        assert door.admit(host) is None
    assert "network" in (door.admit("198.51.100.5") or "")


def test_each_cap_names_itself() -> None:
    door = Admission(max_sessions=3, per_client=1, per_network=2)
    assert door.admit("192.0.2.1") is None
    assert "your address" in (door.admit("192.0.2.1") or "")
    assert door.admit("192.0.2.2") is None
    assert "your network" in (door.admit("192.0.2.3") or "")
    assert door.admit("203.0.113.1") is None
    assert "in all" in (door.admit("203.0.113.2") or "")
    for host in ("192.0.2.1", "192.0.2.2", "203.0.113.1"):
        door.release(host)
    assert not door.open and not door.networks
