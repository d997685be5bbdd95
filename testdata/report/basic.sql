-- basic.sql: a small, readable report fixture (two captures) covering every report section.
-- Loaded into an in-memory database created with pd_schema_sql (tests/test_report.c).
-- Times: T0 = 1795487505123000000 ns = 2026-11-24T02:31:45.123Z. Addresses from the
-- documentation ranges where the test does not need a real-looking one.
INSERT INTO captures(id, path, size, sha256, format, link_types, first_ns, last_ns, packets,
	bytes, drops, cut_at, error, ingested_at, tool_version, comment)
VALUES (1, '/captures/web.pcapng', 48213,
	'3f2a8c1e9b7d6f5a4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5', 'pcapng', 'ether',
	1795487505123000000, 1795487565123000000, 412, 301234, 0, NULL, NULL, 1795487600, '0.1.0',
	'morning run');
INSERT INTO captures(id, path, size, sha256, format, link_types, first_ns, last_ns, packets,
	bytes, drops, cut_at, error, ingested_at, tool_version, runtime, container_id,
	container_name, image, pid, netns_inode, capture_host, capture_filter, capture_app)
VALUES (2, '/captures/app.pcapng', 9120,
	'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90', 'pcapng',
	'linux-sll2', 1795487625123000000, 1795487685123000000, 88, 20480, 3, 9000,
	'/captures/app.pcapng: truncated block at offset 9000', 1795487700, '0.1.0', 'docker',
	'4f1e2d3c4b5a', 'shop-api', 'registry.example/shop-api:1.4', 4242, 4026532291, 'build-7',
	'not port 22', 'pcapdomains-capture 0.1.0');
INSERT INTO interfaces VALUES (1, 0, 'eth0', NULL, 'ether', 262144, 412, 0);
INSERT INTO interfaces VALUES (2, 0, 'any', 'container netns', 'linux-sll2', 262144, 91, 3);

-- flows(capture_id, proto, client_ip, client_port, server_ip, server_port, first_ns, last_ns,
--   packets_out, bytes_out, packets_in, bytes_in, tcp_state, app_proto, sni, alpn, ech,
--   http_host, name, evidence, confidence, cname_chain, candidates, ambiguous)
INSERT INTO flows(capture_id, proto, client_ip, client_port, server_ip, server_port, first_ns,
	last_ns, packets_out, bytes_out, packets_in, bytes_in, tcp_state, app_proto, sni, alpn,
	ech, http_host, name, evidence, confidence, cname_chain, candidates, ambiguous) VALUES
 (1, 'tcp', '10.6.0.2', 40000, '93.184.216.34', 443, 1795487506000000000, 1795487508000000000,
  12, 1800, 14, 120000, 'established', 'tls', 'www.example.com', 'h2,http/1.1', 0, NULL,
  'www.example.com', 'sni', 'high', NULL, NULL, 0),
 (1, 'tcp', '10.6.0.2', 40002, '93.184.216.34', 443, 1795487510000000000, 1795487511000000000,
  8, 1200, 9, 60000, 'established', 'tls', 'www.example.com', 'h2', 0, NULL,
  'www.example.com', 'sni', 'high', NULL, NULL, 0),
 (2, 'tcp', '10.6.0.3', 40010, '93.184.216.34', 443, 1795487630000000000, 1795487631000000000,
  5, 700, 5, 4000, 'established', 'tls', 'www.example.com', 'h2', 0, NULL,
  'www.example.com', 'sni', 'high', NULL, NULL, 0),
 (1, 'tcp', '10.6.0.2', 40004, '93.184.216.34', 80, 1795487507000000000, 1795487507500000000,
  4, 400, 4, 2000, 'established', 'http', NULL, NULL, 0, 'example.com',
  'example.com', 'http-host', 'high', NULL, NULL, 0),
 (1, 'tcp', '10.6.0.2', 40006, '140.82.112.5', 443, 1795487512000000000, 1795487515000000000,
  20, 4000, 30, 50000, 'established', 'tls', NULL, NULL, 0, NULL,
  'api.github.com', 'dns', 'medium', 'api.github.com>lb-140-82-112-5-iad.github.com', NULL, 0),
 (1, 'udp', '10.6.0.2', 50000, '142.250.1.100', 443, 1795487520000000000, 1795487530000000000,
  30, 9000, 40, 40000, NULL, 'quic', 'www.google.com', 'h3', 0, NULL,
  'www.google.com', 'quic-sni', 'high', NULL, NULL, 0),
 (1, 'tcp', '10.6.0.2', 40008, '151.101.1.57', 443, 1795487540000000000, 1795487541000000000,
  6, 900, 6, 3000, 'established', 'tls', NULL, NULL, 0, NULL,
  'shop.example.org', 'dns', 'medium', 'shop.example.org>shop.example.org.global.prod.fastly.net',
  'shop.example.org|static.example.net', 1),
 (1, 'tcp', '10.6.0.2', 40012, '1.1.1.1', 853, 1795487550000000000, 1795487560000000000,
  10, 1500, 10, 1600, 'established', 'dot', 'cloudflare-dns.com', NULL, 0, NULL,
  'cloudflare-dns.com', 'sni', 'high', NULL, NULL, 0),
 (2, 'tcp', '10.6.0.3', 40020, '104.16.1.1', 443, 1795487640000000000, 1795487641000000000,
  7, 1100, 7, 5000, 'established', 'tls', 'cloudflare-ech.com', 'h2', 1, NULL,
  'cloudflare-ech.com', 'sni', 'high', NULL, NULL, 0),
 (1, 'tcp', '10.6.0.2', 40014, '203.0.113.9', 443, 1795487555000000000, 1795487556000000000,
  3, 180, 0, 0, 'syn-only', NULL, NULL, NULL, 0, NULL, NULL, 'none', 'low', NULL, NULL, 0),
 (2, 'tcp', '10.6.0.3', 40030, '198.51.100.7', 22, 1795487650000000000, 1795487660000000000,
  40, 5000, 38, 7000, 'established', NULL, NULL, NULL, 0, NULL, NULL, 'none', 'low', NULL, NULL, 0),
 (2, 'udp', '10.6.0.3', 5353, '224.0.0.251', 5353, 1795487670000000000, 1795487670000000000,
  1, 90, 0, 0, NULL, NULL, NULL, NULL, 0, NULL, NULL, 'none', 'low', NULL, NULL, 0);

-- dns_answers(capture_id, ts_ns, client_ip, resolver_ip, resolver_port, transport, qname,
--   qtype, rcode, rr_name, rr_type, answer, ttl, chain, ech)
INSERT INTO dns_answers(capture_id, ts_ns, client_ip, resolver_ip, resolver_port, transport,
	qname, qtype, rcode, rr_name, rr_type, answer, ttl, chain, ech) VALUES
 (1, 1795487511900000000, '10.6.0.2', '10.6.0.1', 53, 'udp', 'api.github.com', 'A', 'NOERROR',
  'api.github.com', 'CNAME', 'lb-140-82-112-5-iad.github.com', 60, NULL, 0),
 (1, 1795487511900000000, '10.6.0.2', '10.6.0.1', 53, 'udp', 'api.github.com', 'A', 'NOERROR',
  'lb-140-82-112-5-iad.github.com', 'A', '140.82.112.5', 60,
  'api.github.com>lb-140-82-112-5-iad.github.com', 0),
 (1, 1795487539000000000, '10.6.0.2', '10.6.0.1', 53, 'udp', 'shop.example.org', 'A',
  'NOERROR', 'shop.example.org.global.prod.fastly.net', 'A', '151.101.1.57', 30,
  'shop.example.org>shop.example.org.global.prod.fastly.net', 0),
 (1, 1795487539500000000, '10.6.0.2', '10.6.0.1', 53, 'udp', 'static.example.net', 'A',
  'NOERROR', 'static.example.net', 'A', '151.101.1.57', 30, NULL, 0),
 (1, 1795487545000000000, '10.6.0.2', '10.6.0.1', 53, 'udp', 'telemetry.example.io', 'A',
  'NOERROR', 'telemetry.example.io', 'A', '192.0.2.77', 300, NULL, 0),
 (1, 1795487546000000000, '10.6.0.2', '10.6.0.1', 53, 'udp', 'nothere.example', 'AAAA',
  'NXDOMAIN', NULL, NULL, NULL, NULL, NULL, 0),
 (1, 1795487547000000000, '10.6.0.2', '10.6.0.1', 53, 'udp', '9.113.0.203.in-addr.arpa', 'PTR',
  'NXDOMAIN', NULL, NULL, NULL, NULL, NULL, 0),
 (2, 1795487639000000000, '10.6.0.3', '10.6.0.1', 53, 'udp', 'cloudflare-ech.com', 'HTTPS',
  'NOERROR', 'cloudflare-ech.com', 'HTTPS', '.', 300, NULL, 1);

INSERT INTO names VALUES
 (1, '151.101.1.57', 'shop.example.org', 'example.org', 'dns', 1, 1795487539000000000,
  1795487539000000000),
 (1, '151.101.1.57', 'static.example.net', 'example.net', 'dns', 1, 1795487539500000000,
  1795487539500000000),
 (1, '93.184.216.34', 'www.example.com', 'example.com', 'sni', 2, 1795487506000000000,
  1795487510000000000);

INSERT INTO findings(capture_id, kind, severity, subject, detail, count, first_ns) VALUES
 (1, 'encrypted-dns', 'warning', '1.1.1.1', 'DNS over TLS (port 853) to a public resolver: names in it are not visible', 1, 1795487550000000000),
 (2, 'ech', 'info', 'cloudflare-ech.com', 'TLS ClientHello with encrypted_client_hello: the real name is hidden', 1, 1795487640000000000),
 (2, 'truncated-capture', 'warning', '/captures/app.pcapng', 'capture cut at offset 9000', 1, NULL);

INSERT INTO counters VALUES (1, 'frame', 'seen', 412), (1, 'dns', 'seen', 7),
 (2, 'frame', 'seen', 88), (2, 'frame', 'truncated', 1), (1, 'tls', 'seen', 5);

INSERT INTO ptr_cache VALUES
 ('203.0.113.9', 'host-9.example.net', 'ok', '10.6.0.1', 1795487700),
 ('198.51.100.7', NULL, 'nxdomain', '10.6.0.1', 1795487700);
