-- geo.sql: connections to the networks the test GeoIP databases (testdata/geoip, made by
-- make-test-mmdb.pl) describe: 10.N.0.0/16 and fd00:N::/32 with a country, city, ASN and
-- organisation each (10.2/16 "Fastly, Inc.", 10.3/16 "Cloudflare, Inc."). Times from
-- T0 = 2026-11-24T02:31:45.123Z as in basic.sql.
INSERT INTO captures(id, path, size, sha256, format, link_types, first_ns, last_ns, packets,
	bytes, ingested_at, tool_version)
VALUES (1, 'geo.pcapng', 1000, 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00',
	'pcapng', 'ether', 1795487505123000000, 1795487565123000000, 40, 9000, 1795487600, '0.1.0');
INSERT INTO flows(capture_id, proto, client_ip, client_port, server_ip, server_port, first_ns,
	last_ns, packets_out, bytes_out, packets_in, bytes_in, app_proto, name, evidence,
	confidence, cname_chain) VALUES
 (1, 'tcp', '10.6.0.2', 41000, '10.2.0.10', 443, 1795487506000000000, 1795487507000000000,
  5, 500, 6, 6000, 'tls', 'static.shop.example', 'sni', 'high', NULL),
 (1, 'tcp', '10.6.0.2', 41001, '10.3.0.20', 443, 1795487508000000000, 1795487509000000000,
  4, 400, 4, 4000, 'tls', 'www.blog.example', 'dns', 'medium',
  'www.blog.example>www.blog.example.cdn.cloudflare.net'),
 (1, 'udp', '10.6.0.2', 41002, 'fd00:5::1', 443, 1795487510000000000, 1795487511000000000,
  3, 300, 3, 3000, 'quic', 'api.hosted.example', 'quic-sni', 'high', NULL),
 (1, 'tcp', '10.6.0.2', 41003, '10.1.0.7', 8443, 1795487512000000000, 1795487513000000000,
  2, 200, 0, 0, NULL, NULL, 'none', 'low', NULL);
