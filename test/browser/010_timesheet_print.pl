# Renders the printable timesheet with headless Chromium, to PDF and to a
# PNG screenshot, and checks the result: the PDF's text (pdftotext) shows
# the totals that this test computes from attendance_day on its own, every
# page is A4 landscape, no text runs past the right margin, and the PNG is
# landscape with the proportions of A4.
#
# Chromium runs without network: in a network namespace of its own (unshare
# -rn, where unprivileged user namespaces are allowed), and always with a
# proxy at a loopback port where nothing listens and a host resolver that
# resolves no name.  The files stay in $OTAN_WORK/browser for inspection.
use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/../t/lib";
use File::Path qw(make_path);
use IPC::Run qw(run timeout);
use OtanTest;
use Test::More;

binmode(Test::More->builder->$_, ':encoding(UTF-8)') foreach qw(output failure_output todo_output);

my $out_dir = "$ENV{OTAN_WORK}/browser";
make_path($out_dir);

my $db = new_database('otan_browser');

# February 2026 has 20 working days.  Abenov works 09:00-18:00 every working
# day but the 10th, which HR edits to 8 hours.  Bekova leaves at 17:30.
# Sultanov comes at 08:50 and stays until 19:15 on the first 15 working
# days only.  The names and the departments are in Cyrillic, as in a real
# school, so that the fonts are checked too.
psql($db, q{
	SET timezone = 'Asia/Almaty';
	INSERT INTO otan_enbek.organization (org_id, bin, name, time_zone)
	VALUES (5101, '050440000012', 'Школа-гимназия № 7', 'Asia/Almaty');
	INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (5101, 5101, 'Турникеты');
	INSERT INTO otan_enbek.department (org_id, department_id, name)
	VALUES (5101, 1, 'Учителя'), (5101, 2, 'Администрация');
	INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name)
	VALUES (5101, 5111, 'Пятидневка 09:00-18:00');
	INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time,
	        end_time, break_start, break_end)
	SELECT 5101, 5111, d, time '09:00', time '18:00', time '13:00', time '14:00'
	FROM generate_series(1, 5) d;
	INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
	        middle_name, department_id, position, personnel_no, schedule_id, contract_start)
	VALUES (5101, 1, '810111300012', 'Абенов', 'Арман', 'Серикович', 1, 'Учитель математики', 'Т-1', 5111, '2020-09-01'),
	       (5101, 2, '820212300023', 'Бекова', 'Айгуль', NULL, 1, 'Учитель физики', 'Т-2', 5111, '2021-09-01'),
	       (5101, 3, '830313300034', 'Султанов', 'Ерлан', NULL, 2, 'Завхоз', 'А-1', 5111, '2019-01-10');
	SELECT otan_enbek.ensure_event_partitions('2026-02-01', '2026-02-28');
	WITH working_day AS (
	    SELECT d::date AS day, row_number() OVER (ORDER BY d) AS n
	    FROM generate_series(timestamp '2026-02-01', '2026-02-28', interval '1 day') d
	    WHERE extract(isodow FROM d) <= 5
	)
	INSERT INTO otan_enbek.skud_event (org_id, event_id, occurred_at, source_id, external_id,
	        device, credential_kind, credential, employee_id, direction)
	SELECT 5101, e.employee_id * 1000 + extract(day FROM w.day)::int * 10 + p.n,
	       (w.day + CASE WHEN e.employee_id = 2 AND p.n = 2 THEN time '17:30'
	                     WHEN e.employee_id = 3 AND p.n = 1 THEN time '08:50'
	                     WHEN e.employee_id = 3 AND p.n = 2 THEN time '19:15'
	                     ELSE p.at END) AT TIME ZONE 'Asia/Almaty',
	       5101, 'p' || e.employee_id || w.day || p.n, 'T1', 'person', e.employee_id::text,
	       e.employee_id, p.dir
	FROM otan_enbek.employee e
	CROSS JOIN working_day w
	CROSS JOIN (VALUES (1, time '09:00', 'in'), (2, time '18:00', 'out')) p(n, at, dir)
	WHERE e.org_id = 5101
	  AND NOT (e.employee_id = 1 AND w.day = '2026-02-10')
	  AND NOT (e.employee_id = 3 AND w.n > 15);
	SELECT otan_enbek.edit_day(5101, 1, '2026-02-10', 'Я', 8,
	                           'Забыл пропуск, директор подтвердил 09:00-18:00');
});
my $sheet = psql($db, q{SELECT otan_enbek.build_timesheet(5101, '2026-02-01')});

# The expected totals, from attendance_day and the day edit alone: a day
# counts as worked when it is final and has punches, and its hours are the
# worked seconds in hours to two decimals, unless an edit replaces it.
my %expected = map { my @f = split /\|/; ($f[0] => { days => $f[1], hours => $f[2] }) }
  split /\n/, psql($db, q{
	WITH day AS (
	    SELECT a.employee_id,
	           CASE WHEN d.action = 'edit' THEN d.day_code IN ('Я', 'РП')
	                ELSE a.is_final AND a.punch_count > 0 END AS worked,
	           CASE WHEN d.action = 'edit' THEN d.hours
	                WHEN a.is_final AND a.punch_count > 0 THEN round(a.worked_sec / 3600.0, 2)
	                ELSE 0 END AS hours
	    FROM otan_enbek.attendance_day a
	    LEFT JOIN otan_enbek.day_edit d
	           ON d.org_id = a.org_id AND d.employee_id = a.employee_id
	          AND d.work_day = a.work_day
	    WHERE a.org_id = 5101 AND a.work_day BETWEEN '2026-02-01' AND '2026-02-28'
	)
	SELECT coalesce(e.last_name, 'total'), count(*) FILTER (WHERE worked),
	       to_char(sum(hours), 'FM9999990.00')
	FROM day
	LEFT JOIN otan_enbek.employee e ON e.org_id = 5101 AND e.employee_id = day.employee_id
	GROUP BY ROLLUP (e.last_name)});
is($expected{total}{days}, 55, 'the data gives 55 days worked');

my $html_file = "$out_dir/timesheet.html";
open my $fh, '>:raw', $html_file or die "cannot write $html_file: $!";
print $fh psql($db, "SELECT otan_enbek.timesheet_html(5101, $sheet)");
close $fh;

# Chromium's arguments: no network, no profile of a real user, and no
# header or footer of its own on the printed page.
my $dead_port = `$ENV{OTAN_TOP}/test/harness/free-port`;
chomp $dead_port;
my @chromium = (
	'chromium', '--headless', '--no-sandbox', '--disable-gpu',
	"--proxy-server=http://127.0.0.1:$dead_port",
	'--host-resolver-rules=MAP * ~NOTFOUND',
	'--disable-background-networking', '--disable-component-update',
	'--disable-sync', '--disable-extensions', '--no-first-run',
	'--no-default-browser-check', "--user-data-dir=$out_dir/profile",
	'--no-pdf-header-footer', '--hide-scrollbars');
my @isolate = ();
if (run [ 'unshare', '-rn', 'true' ], '>', \my $ignored_out, '2>', \my $ignored_err)
{
	@isolate = ('unshare', '-rn');
}
else
{
	diag('unshare -rn is not allowed here, so Chromium runs in this network '
		  . 'namespace with the dead proxy and resolver only');
}
local $ENV{HOME} = "$out_dir/home";
make_path($ENV{HOME});

# Runs Chromium and returns its error output; the guard only keeps a hung
# browser from stalling the suite.
sub chromium
{
	my @args = @_;
	my ($stdout, $stderr) = ('', '');
	my $ok = run [ @isolate, @chromium, @args, "file://$html_file" ], '<', \undef,
	  '>', \$stdout, '2>', \$stderr, timeout(300);
	return ($ok, $stderr);
}

my $pdf = "$out_dir/timesheet.pdf";
my ($pdf_ok, $pdf_err) = chromium("--print-to-pdf=$pdf");
ok($pdf_ok && -s $pdf, 'Chromium prints the timesheet to PDF') or diag($pdf_err);

my $png = "$out_dir/timesheet.png";
my ($png_ok, $png_err) = chromium("--screenshot=$png", '--window-size=1754,1240');
ok($png_ok && -s $png, 'Chromium takes a PNG screenshot') or diag($png_err);

# The PDF's pages: every one is A4 landscape, 842 x 595 points.
my $info = '';
run [ 'pdfinfo', '-f', '1', '-l', '100', $pdf ], '>', \$info, '2>', \my $info_err;
my @sizes = $info =~ /^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts/mg;
ok(@sizes >= 2, 'pdfinfo lists the page sizes') or diag($info . $info_err);
my $not_a4 = 0;
for (my $i = 0; $i < @sizes; $i += 2)
{
	$not_a4++
	  unless abs($sizes[$i] - 841.9) < 1.5 && abs($sizes[ $i + 1 ] - 595.3) < 1.5;
}
is($not_a4, 0, 'every page is A4 landscape') or diag($info);

# The rendered text.
my $text = '';
run [ 'pdftotext', '-layout', $pdf, '-' ], '>', \$text, '2>', \my $text_err;
utf8::decode($text);
my ($total_line) = grep { /Итого: работников 3/ } split /\n/, $text;
ok(defined $total_line, 'the PDF shows the total row') or diag($text);
$total_line //= '';
like($total_line, qr/(?<![\d.])$expected{total}{days}\s+\Q$expected{total}{hours}\E(?![\d.])/,
	"the total row shows $expected{total}{days} days and $expected{total}{hours} hours");
foreach my $name (sort grep { $_ ne 'total' } keys %expected)
{
	my $hours = $expected{$name}{hours};
	like($text, qr/(?<![\d.])\Q$hours\E(?![\d.])/,
		"the PDF shows the $hours hours of $name");
}
like($text, qr/Школа-гимназия № 7/, 'the PDF shows the organization in Cyrillic');
like($text, qr/с 01\.02\.2026 по 28\.02\.2026/, 'the PDF shows the period');
like($text, qr/Забыл пропуск, директор подтвердил/, 'the PDF shows the reason of the edit');
like($text, qr/Руководитель структурного подразделения/, 'the PDF shows the signatures');

# No word runs past the right margin of 8 mm (22.7 points) on any page.
my $boxes = '';
run [ 'pdftotext', '-bbox', $pdf, '-' ], '>', \$boxes, '2>', \my $boxes_err;
my @right_edges = $boxes =~ /<word [^>]*xMax="([\d.]+)"/g;
my $max_right = 0;
foreach my $x (@right_edges)
{
	$max_right = $x if $x > $max_right;
}
ok(@right_edges > 100, 'pdftotext -bbox lists the words');
cmp_ok($max_right, '<=', 841.9 - 22.7 + 1, 'no word runs past the right margin');

# Returns the width and height that a PNG file's header states.
sub png_size
{
	my ($file) = @_;
	open my $png_fh, '<:raw', $file or die "cannot read $file: $!";
	read $png_fh, my $head, 24;
	close $png_fh;
	return (undef, undef) unless substr($head, 0, 8) eq "\x89PNG\r\n\x1a\n";
	return unpack 'NN', substr($head, 16, 8);
}

# The screenshot's size is the window's, so it must come out landscape in
# the proportions of A4 (297 / 210).
my ($width, $height) = png_size($png);
ok(defined $width, 'the screenshot is a PNG');
cmp_ok($width // 0, '>', $height // 0, 'the screenshot is landscape');
cmp_ok(abs(($width // 0) / ($height || 1) - 297 / 210), '<', 0.01,
	'the screenshot has the proportions of A4');

# The first printed page as a PNG, whose size follows the page size that
# the document's @page rule asked Chromium for.
my $page_png = "$out_dir/timesheet-page";
my $ppm_err = '';
ok(run([ 'pdftoppm', '-png', '-r', '100', '-f', '1', '-l', '1', '-singlefile', $pdf,
			$page_png ], '2>', \$ppm_err),
	'pdftoppm draws the first page') or diag($ppm_err);
my ($page_width, $page_height) = png_size("$page_png.png");
ok(defined $page_width, 'the page image is a PNG');
cmp_ok($page_width // 0, '>', $page_height // 0,
	"the page image of ${\($page_width // 0)}x${\($page_height // 0)} is landscape");
cmp_ok(abs(($page_width // 0) / ($page_height || 1) - 297 / 210), '<', 0.01,
	'the page image has the proportions of A4');

done_testing();
