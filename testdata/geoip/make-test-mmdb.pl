#!/usr/bin/perl
# make-test-mmdb.pl - writes the small MaxMind DB files the tests use (testdata/README.md,
# "Test GeoIP databases"), with Debian's libmaxmind-db-writer-perl:
#   pd-test-City.mmdb     database_type GeoLite2-City     country.iso_code, city.names.en
#   pd-test-Country.mmdb  database_type GeoLite2-Country  country.iso_code
#   pd-test-ASN.mmdb      database_type GeoLite2-ASN      autonomous_system_number/_organization
#   pd-test-DBIP-City-Lite.mmdb, pd-test-DBIP-ASN-Lite.mmdb: the same data under DB-IP's
#                         database types (DB-IP lite files use the GeoIP2 field names)
# They cover only the test networks: 10.0.0.0/8 and fd00::/8, each 10.N.0.0/16 and
# fd00:N::/32 (N = 0..15) with its own country, city, ASN and organisation (10.2/16 is
# "Fastly, Inc.", 10.3/16 "Cloudflare, Inc." for the CDN tests), the rest of 10/8 and fd00::/8
# like N = 0. ASNs are 64500-64515 (documentation and private-use numbers).
# Reproducible: build_epoch is fixed (SOURCE_DATE_EPOCH or 1700000000).
# Usage: perl make-test-mmdb.pl [OUTDIR]   (default: the script's directory)
use strict;
use warnings;
use utf8;
use File::Basename qw(dirname);
use MaxMind::DB::Writer::Tree;

my $out = $ARGV[0] // dirname($0);
my $epoch = $ENV{SOURCE_DATE_EPOCH} // 1700000000;

# N => [country, city, asn, organisation]
my @nets = (
	[ 'NL', 'Amsterdam',    64500, 'Example Net B.V.' ],
	[ 'DE', 'Berlin',       64501, 'Example Transit GmbH' ],
	[ 'FR', 'Paris',        64502, 'Fastly, Inc.' ],
	[ 'JP', 'Tokyo',        64503, 'Cloudflare, Inc.' ],
	[ 'US', 'Ashburn',      64504, 'Amazon.com, Inc.' ],
	[ 'GB', 'London',       64505, 'Akamai Technologies, Inc.' ],
	[ 'SE', 'Stockholm',    64506, 'Example Hosting AB' ],
	[ 'CA', 'Toronto',      64507, 'Example Cloud Inc.' ],
	[ 'BR', 'São Paulo',    64508, 'Exemplo Telecom Ltda' ],
	[ 'AU', 'Sydney',       64509, 'Example Networks Pty Ltd' ],
	[ 'IN', 'Mumbai',       64510, 'Example Broadband Pvt Ltd' ],
	[ 'ZA', 'Johannesburg', 64511, 'Example Fibre (Pty) Ltd' ],
	[ 'CH', 'Zürich',       64512, 'Example Datacenter AG' ],
	[ 'SG', 'Singapore',    64513, 'Google LLC' ],
	[ 'IT', 'Milan',        64514, 'Microsoft Corporation' ],
	[ 'ES', 'Madrid',       64515, 'Example Telecom S.A.' ],
);

my %types = (
	city                           => 'map',
	country                        => 'map',
	names                          => 'map',
	en                             => 'utf8_string',
	iso_code                       => 'utf8_string',
	autonomous_system_number       => 'uint32',
	autonomous_system_organization => 'utf8_string',
);

sub record {
	my ( $kind, $n ) = @_;
	my ( $cc, $city, $asn, $org ) = @{ $nets[$n] };
	return { autonomous_system_number => $asn, autonomous_system_organization => $org }
		if $kind eq 'asn';
	my %r = ( country => { iso_code => $cc, names => { en => $cc } } );
	$r{city} = { names => { en => $city } } if $kind eq 'city';
	return \%r;
}

sub write_db {
	my ( $file, $type, $kind ) = @_;
	my $tree = MaxMind::DB::Writer::Tree->new(
		ip_version               => 6,
		record_size              => 24,
		database_type            => $type,
		languages                => ['en'],
		description              => { en => "pcapdomains test database ($type shape)" },
		map_key_type_callback    => sub { $types{ $_[0] } },
		remove_reserved_networks => 0,
		alias_ipv6_to_ipv4       => 1,
	);
	$tree->_set_build_epoch($epoch);    # the writer's hook for reproducible output
	$tree->insert_network( '10.0.0.0/8', record( $kind, 0 ) );
	$tree->insert_network( 'fd00::/8',   record( $kind, 0 ) );
	for my $n ( 0 .. $#nets ) {
		$tree->insert_network( "10.$n.0.0/16", record( $kind, $n ) );
		$tree->insert_network( sprintf( 'fd00:%x::/32', $n ), record( $kind, $n ) );
	}
	open my $fh, '>:raw', "$out/$file" or die "$out/$file: $!\n";
	$tree->write_tree($fh);
	close $fh or die "$out/$file: $!\n";
}

write_db( 'pd-test-City.mmdb',           'GeoLite2-City',                       'city' );
write_db( 'pd-test-Country.mmdb',        'GeoLite2-Country',                    'country' );
write_db( 'pd-test-ASN.mmdb',            'GeoLite2-ASN',                        'asn' );
write_db( 'pd-test-DBIP-City-Lite.mmdb', 'DBIP-City-Lite',                      'city' );
write_db( 'pd-test-DBIP-ASN-Lite.mmdb',  'DBIP-ASN-Lite (compat=GeoLite2-ASN)', 'asn' );
