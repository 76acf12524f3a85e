/*
 * mapviz-trace: follow one key of a Go-style hash map (hmap) in a running
 * program with hardware watchpoints: every write to its slot, across growth,
 * or the complete write trajectory of each delete of it.
 *
 * Exit status: the program's own when it ran to the end (128+N when killed
 * by signal N), 0 after detaching from a process given with -p, 2 for a
 * usage or setup error (one line on standard error), 1 when the events
 * could not be written (one line naming the file and the error).
 */
#define _GNU_SOURCE
#include "session/session.h"

#include "events/svg.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAPVIZ_VERSION "0.1.0"

static const char usage_text[] =
	"usage: mapviz-trace [OPTIONS] -- PROGRAM [ARGS...]\n"
	"       mapviz-trace [OPTIONS] -p PID\n"
	"  -m, --map NAME        the map: a global variable (a map or pointer to one), or an address 0x...\n"
	"  -k, --key KEY         the key to follow (integer, string, or hex bytes, by the key's type)\n"
	"  -e, --events WHAT     slot (default): every write to the key's slot, across growth;\n"
	"                        delete: the complete write trajectory of each delete of KEY\n"
	"  -r, --reads           also report reads of the watched cells\n"
	"  -s, --stack           a backtrace with each event\n"
	"  -o, --output FILE     events go there ('-': standard output; default: standard error)\n"
	"      --format text|json|svg  text (default), JSON Lines, or an SVG picture (at the end)\n"
	"      --step            exact delete mode: single-step each delete and diff the bucket chain\n"
	"  -n, --max-events N    stop after N events (and detach)\n"
	"  -p, --pid PID         attach to a running process\n"
	"  -h, --help            this help\n"
	"      --version         the version\n";

static void usage_error(const char *fmt, const char *arg)
{
	fputs("mapviz-trace: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (try --help)\n", stderr);
	exit(2);
}

static void on_signal(int sig, siginfo_t *si, void *context)
{
	(void)context;
	tracer_interrupted = sig;
	tracer_interrupted_by_tty = si->si_code == SI_KERNEL;
}
static void on_child(int sig) { (void)sig; }

/*
 * Every signal whose default action would end the tracer and that can be
 * caught, except the faults of its own code (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
 * SIGSYS, SIGTRAP, SIGABRT): each asks for a clean detach. They are blocked
 * while the loop runs and taken at its waits (with SIGCHLD, which wakes it).
 */
static void catch_ending_signals(sigset_t *set)
{
	static const int ending[] = {SIGHUP,  SIGINT,    SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE,
				     SIGALRM, SIGTERM,   SIGSTKFLT, SIGXCPU, SIGXFSZ, SIGVTALRM,
				     SIGPROF, SIGIO,     SIGPWR};
	sigemptyset(set);
	for (size_t i = 0; i < sizeof ending / sizeof ending[0]; i++)
		sigaddset(set, ending[i]);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigaddset(set, sig);
	struct sigaction sa = {.sa_sigaction = on_signal, .sa_mask = *set, .sa_flags = SA_SIGINFO};
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(set, sig))
			sigaction(sig, &sa, NULL);
	struct sigaction child = {.sa_handler = on_child};
	sigaction(SIGCHLD, &child, NULL);
}

static void parse(int argc, char **argv, struct options *o)
{
	enum { OPT_FORMAT = 256, OPT_STEP, OPT_VERSION };
	static const struct option longopts[] = {
		{"map", required_argument, 0, 'm'},	   {"key", required_argument, 0, 'k'},
		{"events", required_argument, 0, 'e'},	   {"reads", no_argument, 0, 'r'},
		{"stack", no_argument, 0, 's'},		   {"output", required_argument, 0, 'o'},
		{"format", required_argument, 0, OPT_FORMAT}, {"step", no_argument, 0, OPT_STEP},
		{"max-events", required_argument, 0, 'n'}, {"pid", required_argument, 0, 'p'},
		{"help", no_argument, 0, 'h'},		   {"version", no_argument, 0, OPT_VERSION},
		{0, 0, 0, 0},
	};
	o->writer = &writer_text;
	o->mode = MODE_SLOT;
	opterr = 0;
	int c;
	char *end;
	while ((c = getopt_long(argc, argv, "+:m:k:e:rso:n:p:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': o->map = optarg; break;
		case 'k': o->key = optarg; break;
		case 'e':
			if (strcmp(optarg, "slot") == 0)
				o->mode = MODE_SLOT;
			else if (strcmp(optarg, "delete") == 0)
				o->mode = MODE_DELETE;
			else
				usage_error("bad --events %s: slot or delete", optarg);
			break;
		case 'r': o->reads = true; break;
		case 's': o->stack = true; break;
		case 'o': o->output = optarg; break;
		case OPT_FORMAT:
			if (strcmp(optarg, "text") == 0)
				o->writer = &writer_text;
			else if (strcmp(optarg, "json") == 0)
				o->writer = &writer_json;
			else if (strcmp(optarg, "svg") == 0)
				o->writer = &writer_svg;
			else
				usage_error("bad --format %s: text, json or svg", optarg);
			break;
		case OPT_STEP: o->step = true; break;
		case 'n':
			errno = 0;
			o->max_events = strtoull(optarg, &end, 10);
			if (errno || *end || !*optarg || *optarg == '-' || o->max_events == 0)
				usage_error("bad --max-events %s: a positive number", optarg);
			break;
		case 'p': {
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (errno || *end || v <= 0 || v > 0x7fffffff)
				usage_error("bad --pid %s", optarg);
			o->attach_pid = (pid_t)v;
			break;
		}
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case OPT_VERSION:
			printf("mapviz-trace %s\n", MAPVIZ_VERSION);
			exit(0);
		case ':': {
			/* The option as given: --map, or -m (also when grouped, as in -rm). */
			const char *given = argv[optind - 1];
			char short_form[3] = {'-', (char)optopt, 0};
			usage_error("option %s needs an argument",
				    strncmp(given, "--", 2) == 0 ? given : short_form);
			break;
		}
		default:
			usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		o->argv = argv + optind;
	if (!o->map)
		usage_error("%s", "no map: give -m NAME");
	if (!o->key)
		usage_error("%s", "no key: give -k KEY");
	if (o->attach_pid && o->argv)
		usage_error("%s", "give either -p PID or a program, not both");
	if (!o->attach_pid && !o->argv)
		usage_error("%s", "no program: give -- PROGRAM [ARGS...] or -p PID");
	if (o->step && o->mode != MODE_DELETE)
		usage_error("%s", "--step works with -e delete");
	if (o->reads && o->mode == MODE_DELETE)
		usage_error("%s", "--reads works with -e slot");
}

int main(int argc, char **argv)
{
	static struct session S;
	struct stream *T = &S.stream;
	parse(argc, argv, &S.opt);
	T->out = stderr;
	T->out_name = "standard error";
	if (S.opt.output && strcmp(S.opt.output, "-") == 0) {
		T->out = stdout;
		T->out_name = "standard output";
	} else if (S.opt.output) {
		T->out = fopen(S.opt.output, "w");
		T->out_name = S.opt.output;
		if (!T->out) {
			fprintf(stderr, "mapviz-trace: open %s: %s\n", S.opt.output, strerror(errno));
			return 2;
		}
	}
	/* Full buffering into files (flushed when the loop has been idle a moment), lines to a
	 * tty. */
	setvbuf(T->out, NULL, isatty(fileno(T->out)) ? _IOLBF : _IOFBF, 1 << 16);
	catch_ending_signals(&S.ending_signals);
	return session_run(&S);
}
