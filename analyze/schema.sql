-- pcapdomains database schema, version 2 (PRAGMA user_version = 2).
-- Users may query it with sqlite3; the README documents every table.
-- Times are integers: nanoseconds since the Unix epoch, UTC. Addresses are text (inet_ntop).
-- A capture is ingested in one transaction; deleting a capture cascades to its rows.

-- A database made from this file alone (sqlite3 db < schema.sql) is version 2, like one made
-- by pcapdomains; keep this in step with PD_SCHEMA_VERSION (store.h).
PRAGMA user_version = 2;

CREATE TABLE IF NOT EXISTS meta (
	key TEXT PRIMARY KEY,
	value TEXT
);

CREATE TABLE IF NOT EXISTS captures (
	id INTEGER PRIMARY KEY,
	path TEXT NOT NULL,            -- as given when ingested
	size INTEGER NOT NULL,         -- file size in bytes
	sha256 TEXT NOT NULL UNIQUE,   -- content hash (hex): re-ingesting the same bytes is a no-op
	format TEXT NOT NULL,          -- 'pcap' | 'pcapng'
	link_types TEXT NOT NULL,      -- comma-separated: 'ether,linux-sll2'
	first_ns INTEGER,              -- first and last frame time
	last_ns INTEGER,
	packets INTEGER NOT NULL,      -- frames read
	bytes INTEGER NOT NULL,        -- frame bytes on the wire (sum of original lengths)
	drops INTEGER,                 -- dropped by the capturing kernel (pcapng statistics), NULL if unknown
	cut_at INTEGER,                -- file offset where reading stopped on a truncated/corrupt file, else NULL
	error TEXT,                    -- the message for cut_at
	ingested_at INTEGER NOT NULL,  -- Unix seconds
	tool_version TEXT NOT NULL,
	-- container identity from pcapdomains-capture metadata (NULL for other captures)
	runtime TEXT,
	container_id TEXT,
	container_name TEXT,
	image TEXT,
	pid INTEGER,
	netns_inode INTEGER,
	capture_host TEXT,
	capture_filter TEXT,
	capture_app TEXT,              -- shb_userappl
	comment TEXT,                  -- section comments, newline-separated
	-- capture sessions (analyze/session.c, README "Capture sessions"), schema version 2
	session_id TEXT,               -- pcapdomains-capture run id, shared by its -C/-G/-W files
	session_seq INTEGER,           -- the file's sequence number within that run (0, 1, ...)
	session_prev TEXT              -- sha256 of the capture this one continues, NULL when none
);

CREATE TABLE IF NOT EXISTS interfaces (
	capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
	idx INTEGER NOT NULL,
	name TEXT,
	description TEXT,
	link_type TEXT NOT NULL,
	snaplen INTEGER,
	received INTEGER,              -- interface statistics, NULL if none
	dropped INTEGER,
	PRIMARY KEY (capture_id, idx)
);

-- The subject's local addresses per capture (schema version 2): from the file's interface
-- blocks, --local, or inferred from the traffic (rules in the README). No rows: no subject
-- known, every flow is transit (loopback pairs internal).
CREATE TABLE IF NOT EXISTS capture_locals (
	capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
	ip TEXT NOT NULL,              -- address, or network address of a --local range
	prefix INTEGER NOT NULL,       -- bits matched: 32/128 for one address, less for a range
	link_prefix INTEGER,           -- the interface's prefix length (file), NULL otherwise
	source TEXT NOT NULL,          -- 'file' | 'option' | 'inferred'
	iface TEXT,                    -- interface name (file), NULL otherwise
	PRIMARY KEY (capture_id, ip, prefix)
);

CREATE TABLE IF NOT EXISTS flows (
	id INTEGER PRIMARY KEY,
	capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
	proto TEXT NOT NULL,           -- 'tcp' | 'udp' | 'icmp' | 'icmp6' | 'ip-N'
	client_ip TEXT NOT NULL,       -- the initiator
	client_port INTEGER NOT NULL,
	server_ip TEXT NOT NULL,
	server_port INTEGER NOT NULL,
	first_ns INTEGER NOT NULL,
	last_ns INTEGER NOT NULL,
	packets_out INTEGER NOT NULL,  -- client -> server
	bytes_out INTEGER NOT NULL,    -- IP bytes
	packets_in INTEGER NOT NULL,   -- server -> client
	bytes_in INTEGER NOT NULL,
	tcp_state TEXT,                -- 'established' (SYN, SYN-ACK, ACK seen), 'syn-only', 'refused', 'midstream'; NULL for non-TCP
	app_proto TEXT,                -- 'tls' | 'quic' | 'http' | 'dns' | 'dot' | 'doq' | 'doh' | NULL
	sni TEXT,                      -- TLS or QUIC ClientHello server_name
	alpn TEXT,                     -- offered ALPN protocols, comma-separated
	ech INTEGER NOT NULL DEFAULT 0, -- ClientHello carried encrypted_client_hello (sni is the outer name)
	http_host TEXT,                -- Host of the first HTTP/1.x request
	http_connect TEXT,             -- CONNECT authority (proxied destination)
	quic_version INTEGER,
	-- attribution (analyze/names.c, SPEC 2.3), filled at ingest
	name TEXT,                     -- the attributed destination name, NULL when none
	evidence TEXT NOT NULL DEFAULT 'none', -- sni | quic-sni | http-host | dns | dns-earlier-capture | dns-other-client | dns-expired | ptr-capture | none
	confidence TEXT NOT NULL DEFAULT 'low', -- high | medium | low
	cname_chain TEXT,              -- asked name first, '>'-joined: 'www.a.com>a.cdn.net'
	candidates TEXT,               -- '|'-joined names when several fit
	ambiguous INTEGER NOT NULL DEFAULT 0,
	dns_answer_id INTEGER,         -- dns_answers.id of the answer used
	-- relative to the capture's local addresses (capture_locals; analyze/subject.c):
	-- 'egress' | 'ingress' | 'internal' | 'transit' (neither end local, or no subject) | 'control' (link-local control)
	direction TEXT NOT NULL DEFAULT 'transit',
	-- schema version 2
	tunnel TEXT,                   -- tunnels the flow came through, outermost first, ' / '-joined, client side first: 'vxlan:10.0.0.1>10.0.0.2 vni 42'; NULL when none
	continued INTEGER NOT NULL DEFAULT 0, -- 1: continues a flow open at the end of the capture
	                               -- captures.session_prev names (its orientation and name come
	                               -- from there; reports count the connection once)
	-- a flow through a proxy (version 2): server_ip/server_port are the destination asked of
	-- the proxy (server_ip stays the proxy's address when the request named a host), the
	-- proxy is via_ip/via_port
	proxy TEXT,                    -- 'http-connect' | 'http' (absolute-form) | 'socks4' | 'socks4a' | 'socks5'; NULL: direct
	proxy_target TEXT,             -- the host (name or address) the client asked the proxy for
	via_ip TEXT,                   -- the proxy: address and port the connection went to
	via_port INTEGER,
	http_hosts TEXT                -- keep-alive: Hosts of later requests unlike http_host, '|'-joined (version 2)
);
CREATE INDEX IF NOT EXISTS flows_capture ON flows(capture_id);
CREATE INDEX IF NOT EXISTS flows_server ON flows(server_ip);

CREATE TABLE IF NOT EXISTS dns_answers (
	id INTEGER PRIMARY KEY,
	capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
	ts_ns INTEGER NOT NULL,        -- time of the response
	client_ip TEXT NOT NULL,       -- who asked
	resolver_ip TEXT NOT NULL,     -- who answered
	resolver_port INTEGER NOT NULL,
	transport TEXT NOT NULL,       -- 'udp' | 'tcp' | 'mdns' | 'llmnr'
	qname TEXT NOT NULL,           -- the name the client asked for
	qtype TEXT NOT NULL,           -- 'A' | 'AAAA' | 'HTTPS' | 'PTR' | ...
	rcode TEXT NOT NULL,           -- 'NOERROR' | 'NXDOMAIN' | ...
	rr_name TEXT,                  -- owner of this record; NULL for an answerless response (one row)
	rr_type TEXT,                  -- 'A' | 'AAAA' | 'CNAME' | 'PTR' | 'HTTPS' | 'SVCB' | 'HINT'
	answer TEXT,                   -- address (A, AAAA, HTTPS/SVCB hint) or target name (CNAME, PTR, SVCB target)
	ttl INTEGER,
	chain TEXT,                    -- address rows: qname ... rr_name, '>'-joined CNAME chain
	ech INTEGER NOT NULL DEFAULT 0 -- HTTPS/SVCB record with an ech config
);
CREATE INDEX IF NOT EXISTS dns_answers_answer ON dns_answers(capture_id, answer, ts_ns);
CREATE INDEX IF NOT EXISTS dns_answers_qname ON dns_answers(capture_id, qname);
-- Attribution (analyze/names.c) reads a capture's PTR answers through this partial index: it
-- holds the PTR rows only. Indexes added within schema version 1 reach older databases when
-- they are opened for writing (store.c).
CREATE INDEX IF NOT EXISTS dns_answers_ptr ON dns_answers(capture_id, answer, ts_ns)
	WHERE rr_type = 'PTR';

-- Flows still open at the end of a capture, with the state a following file of the same
-- session needs to continue them (analyze/session.c): orientation, TCP events, the evidence
-- found so far and up to a ClientHello's / a DNS message's worth of unparsed stream bytes.
CREATE TABLE IF NOT EXISTS flow_carry (
	capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
	proto TEXT NOT NULL,           -- as flows.proto
	client_ip TEXT NOT NULL,
	client_port INTEGER NOT NULL,
	server_ip TEXT NOT NULL,
	server_port INTEGER NOT NULL,
	last_ns INTEGER NOT NULL,
	tcp INTEGER NOT NULL,          -- TCP events seen (flow.h PD_FLOW_TCP_*)
	syn_seq_c INTEGER NOT NULL,    -- initial sequence numbers (valid with the SYN / SYN-ACK bits)
	syn_seq_s INTEGER NOT NULL,
	state INTEGER NOT NULL,        -- ingest's per-flow evidence state (internal)
	app INTEGER NOT NULL,          -- ingest's application protocol code (internal)
	mode INTEGER NOT NULL,         -- ingest's client-stream mode (internal)
	sni TEXT, alpn TEXT, http_host TEXT, http_connect TEXT,
	quic_version INTEGER,
	ech INTEGER NOT NULL DEFAULT 0,
	cs_seq INTEGER, cs BLOB,       -- client->server bytes not yet parsed, from sequence cs_seq
	sc_seq INTEGER, sc BLOB,       -- server->client bytes (DNS over TCP)
	PRIMARY KEY (capture_id, proto, client_ip, client_port, server_ip, server_port)
);

-- Address -> name evidence, one row per (capture, address, name, source), derived at ingest,
-- for the addresses that carried flows.
CREATE TABLE IF NOT EXISTS names (
	capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
	ip TEXT NOT NULL,
	name TEXT NOT NULL,
	registrable TEXT,              -- eTLD+1 by the Public Suffix List
	source TEXT NOT NULL,          -- 'dns' | 'sni' | 'quic-sni' | 'http-host' | 'ptr-capture'
	count INTEGER NOT NULL,        -- answers or flows that showed it
	first_ns INTEGER,
	last_ns INTEGER,
	PRIMARY KEY (capture_id, ip, name, source)
);

CREATE TABLE IF NOT EXISTS findings (
	id INTEGER PRIMARY KEY,
	capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
	kind TEXT NOT NULL,            -- 'encrypted-dns' | 'ech' | 'malformed' | 'truncated-capture' | 'drops' | 'limit' | ...
	severity TEXT NOT NULL,        -- 'info' | 'warning'
	subject TEXT,                  -- address, name or file the finding is about
	detail TEXT NOT NULL,
	count INTEGER NOT NULL DEFAULT 1,
	first_ns INTEGER
);
CREATE INDEX IF NOT EXISTS findings_capture ON findings(capture_id);

-- Parser counters: items seen, malformed and truncated per kind.
CREATE TABLE IF NOT EXISTS counters (
	capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
	kind TEXT NOT NULL,            -- 'frame' | 'ip' | 'dns' | 'tls' | 'quic' | 'http' | ...
	what TEXT NOT NULL,            -- 'seen' | 'malformed' | 'truncated' | ...
	n INTEGER NOT NULL,
	PRIMARY KEY (capture_id, kind, what)
);

-- Reverse lookups made at analysis time (never at capture time), failures included.
CREATE TABLE IF NOT EXISTS ptr_cache (
	ip TEXT PRIMARY KEY,
	name TEXT,                     -- NULL when the lookup failed
	status TEXT NOT NULL,          -- 'ok' | 'nxdomain' | 'timeout' | 'servfail' | 'error'
	resolver TEXT,
	looked_up_at INTEGER NOT NULL  -- Unix seconds
);

-- GeoIP/ASN results per address and database set, so reports from a database are offline.
CREATE TABLE IF NOT EXISTS geo_cache (
	ip TEXT NOT NULL,
	db_key TEXT NOT NULL,          -- identifies the databases used (types and build dates)
	country TEXT,                  -- ISO 3166 code
	city TEXT,
	asn INTEGER,
	as_org TEXT,
	PRIMARY KEY (ip, db_key)
);
