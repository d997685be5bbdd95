-- hostile.sql: a database as a hostile capture (or a hostile database file) could fill it.
-- Every string column a report prints holds an injection attempt: HTML/script tags, quote
-- breakouts, Markdown table pipes and links, newlines, ANSI/OSC escape sequences, C1 CSI,
-- bidi overrides, spreadsheet formula prefixes, and invalid UTF-8 (overlong '<' C0 BC,
-- overlong E0 80 BC, encoded surrogate ED A0 80, above U+10FFFF F4 90 80 80, stray FF,
-- truncated E2 82). The strings are the classic payloads of the OWASP XSS and CSV
-- injection cheat sheets and the Trojan Source paper, written by hand.
INSERT INTO captures(id, path, size, sha256, format, link_types, first_ns, last_ns, packets,
	bytes, drops, cut_at, error, ingested_at, tool_version, runtime, container_id,
	container_name, image, pid, capture_host, capture_filter, capture_app, comment)
VALUES (1, '/tmp/<script>alert(1)</script>' || char(10) || '|x|.pcapng', 100,
	'<b>not-a-hash</b>', 'pcapng', 'ether,<i>x</i>', 1795487505123000000,
	1795487565123000000, 10, 1000, NULL, 77, 'cut: ' || char(27) || ']0;owned' || char(7),
	1795487600, '0.1.0', 'docker', '"><img src=x onerror=alert(1)>',
	'=cmd|'' /C calc''!A0', '[img](javascript:alert(1))', 1, 'host' || char(27) || '[2J',
	'port 53', 'app' || char(13) || char(10) || '=1+1',
	'comment </td></tr></table><script>alert(3)</script>' || char(10) || '| a | b |');
INSERT INTO interfaces VALUES (1, 0, '<svg/onload=alert(4)>', 'desc' || char(27) || '[31m',
	'ether', 65535, NULL, NULL);

INSERT INTO flows(capture_id, proto, client_ip, client_port, server_ip, server_port, first_ns,
	last_ns, packets_out, bytes_out, packets_in, bytes_in, tcp_state, app_proto, sni, ech,
	name, evidence, confidence, cname_chain, candidates, ambiguous) VALUES
 (1, 'tcp', '10.6.0.2', 1000, '192.0.2.1', 443, 1795487506000000000, 1795487507000000000,
  1, 100, 1, 100, 'established', 'tls', NULL, 0,
  '<script>alert("x")</script>.evil.example', 'sni', 'high', NULL, NULL, 0),
 (1, 'tcp', '10.6.0.2', 1001, '192.0.2.2', 443, 1795487506100000000, 1795487507000000000,
  1, 90, 1, 90, 'established', 'tls', NULL, 0,
  'line1' || char(10) || '| injected | row |.evil.example', 'sni', 'high', NULL,
  'a|b' || char(10) || '<i>c</i>', 1),
 (1, 'tcp', '10.6.0.2', 1002, '192.0.2.3', 443, 1795487506200000000, 1795487507000000000,
  1, 80, 1, 80, 'established', 'tls', NULL, 0,
  char(27) || '[31mred' || char(27) || '[0m' || char(27) || ']8;;http://x' || char(7) || '.evil.example',
  'sni', 'high', NULL, NULL, 0),
 (1, 'tcp', '10.6.0.2', 1003, '192.0.2.4', 443, 1795487506300000000, 1795487507000000000,
  1, 70, 1, 70, 'established', 'tls', NULL, 0,
  '=HYPERLINK("http://x","y")', 'sni', 'high', NULL, NULL, 0),
 (1, 'tcp', '10.6.0.2', 1004, '192.0.2.5', 443, 1795487506400000000, 1795487507000000000,
  1, 60, 1, 60, 'established', 'tls', NULL, 0, '-2+3,@SUM(1)', 'dns', 'medium',
  '-2+3,@SUM(1)>cdn' || char(27) || '.evil.example', '+1|@x|' || char(9) || '=y', 1),
 (1, 'tcp', '10.6.0.2', 1005, '192.0.2.6', 443, 1795487506500000000, 1795487507000000000,
  1, 50, 1, 50, 'established', 'tls', NULL, 0,
  CAST(X'C0BCE080BCEDA080F4908080FF61E282' AS TEXT), 'sni', 'high', NULL, NULL, 0),
 (1, 'tcp', '10.6.0.2', 1006, '192.0.2.7', 443, 1795487506600000000, 1795487507000000000,
  1, 40, 1, 40, 'established', 'tls', NULL, 0,
  CAST(X'E280AE6C6D74682E6578652EC29B33316D' AS TEXT) || '[x](javascript:alert(1))*_`~\',
  'http-host', 'high', NULL, NULL, 0),
 (1, 'tcp', '10.6.0.2', 1007, '192.0.2.8', 443, 1795487506700000000, 1795487507000000000,
  1, 30, 1, 30, 'established', '<b>tls</b>', NULL, 0,
  '''"><img src=x onerror=alert(5)>', 'quic-sni', 'high', NULL, NULL, 0),
 (1, 'udp', '10.6.0.2', 1008, '10.0.0.1"><svg onload=alert(6)>', 53, 1795487506800000000,
  1795487507000000000, 1, 20, 0, 0, NULL, NULL, NULL, 0, NULL, 'none', 'low', NULL, NULL, 0),
 (1, 'tcp', '10.6.0.2', 1009, '203.0.113.66', 443, 1795487506900000000, 1795487507000000000,
  1, 10, 0, 0, 'syn-only', NULL, NULL, 0, NULL, 'none', 'low', NULL, NULL, 0);

INSERT INTO dns_answers(capture_id, ts_ns, client_ip, resolver_ip, resolver_port, transport,
	qname, qtype, rcode, rr_name, rr_type, answer, ttl, chain, ech) VALUES
 (1, 1795487505500000000, '10.6.0.2', '10.6.0.1', 53, 'udp',
  '<img src=x onerror=alert(7)>|' || char(10) || '=1', 'A<b>', 'NOERROR' || char(27) || '[5m',
  'x', 'A', '198.51.100.200<script>', 60, NULL, 0);

INSERT INTO names VALUES
 (1, '192.0.2.1', '<script>alert("x")</script>.evil.example', NULL, 'sni', 1, NULL, NULL),
 (1, '192.0.2.1', 'other|name' || char(10) || '.example', NULL, 'dns', 2, NULL, NULL);

INSERT INTO findings(capture_id, kind, severity, subject, detail, count, first_ns) VALUES
 (1, '<script>k</script>', 'warning' || char(27) || '[31m', '=subject|x',
  '</td></tr><script>alert(8)</script>' || char(10) || '| | |', 1, NULL);

INSERT INTO counters VALUES (1, '<b>dns</b>', char(27) || '[1mseen', 3);

INSERT INTO ptr_cache VALUES
 ('203.0.113.66', '<iframe src=//evil>' || char(27) || '[2J|x', 'ok', '10.6.0.1', 1795487700);
