/*
 * cmd-token.c: `kedge token create|ls|revoke`: the bearer tokens of
 * kedge mcp's HTTP server, in the store it shares with the daemon.
 *
 * A token is printed once, alone on the last line of `create`'s output,
 * and kept only as its sha256: a store that leaks gives no token.
 */
#include <getopt.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "client.h"
#include "cmd.h"
#include "err.h"
#include "hash.h"
#include "store.h"

extern const struct cmd_entry cmd_token;

/* 20 random bytes: 160 bits, as long as a GitHub token's secret part */
#define TOKEN_BYTES  20
#define TOKEN_PREFIX "kedge_"

struct token_opts {
	const char *verb, *name, *scope, *state_dir, *store;
	int json;
};

static int parse(struct token_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"name", required_argument, NULL, 'n'},
	        {"scope", required_argument, NULL, 's'},
	        {"state-dir", required_argument, NULL, 'd'},
	        {"store", required_argument, NULL, 'S'},
	        {"output", required_argument, NULL, 'o'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && !strcmp(argv[1], "--help")) {
			cmd_usage(&cmd_token, stdout);
			return -1;
		}
		return cli_usage_error(&cmd_token, "%s",
		                       "name what to do: create, ls or revoke");
	}
	o->verb = argv[1];
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc - 1, argv + 1, "h", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'n':
			o->name = optarg;
			break;
		case 's':
			o->scope = optarg;
			break;
		case 'd':
			o->state_dir = optarg;
			break;
		case 'S':
			o->store = optarg;
			break;
		case 'o':
			if (strcmp(optarg, "json") && strcmp(optarg, "text"))
				return cli_usage_error(
				        &cmd_token,
				        "--output must be text or json, not "
				        "'%s'",
				        optarg);
			o->json = !strcmp(optarg, "json");
			break;
		case 'h':
			cmd_usage(&cmd_token, stdout);
			return -1;
		default:
			return cli_usage_error(
			        &cmd_token,
			        "unknown option or missing value: '%s'",
			        argv[optind]);
		}
	}
	/* `kedge token revoke NAME` reads as well as --name NAME */
	if (optind + 1 < argc && !o->name)
		o->name = argv[1 + optind++];
	if (optind + 1 < argc)
		return cli_usage_error(&cmd_token, "unexpected argument '%s'",
		                       argv[1 + optind]);
	if (o->store && o->state_dir)
		return cli_usage_error(&cmd_token, "%s",
		                       "--store and --state-dir both name the "
		                       "store; give one");
	return 0;
}

static int create(struct store *s, const struct token_opts *o, struct err *err)
{
	char secret[2 * TOKEN_BYTES + 1], hash[HASH_HEX_LEN + 1];
	char *token;
	int rc;

	hash_random_hex(secret, TOKEN_BYTES);
	token = xasprintf(TOKEN_PREFIX "%s", secret);
	hash_sha256_hex(hash, token, strlen(token));
	rc = store_token_add(s, o->name, hash, o->scope, err);
	if (!rc)
		printf("created token '%s' with scope %s; it is shown once, "
		       "keep it secret:\n%s\n",
		       o->name, o->scope, token);
	memset(token, 0, strlen(token));
	memset(secret, 0, sizeof(secret));
	free(token);
	return rc;
}

static void print_list(const json_t *list)
{
	static const char *const head[] = {"NAME", "SCOPE", "CREATED",
	                                   "LAST USED", "STATE"};
	struct client_table t;
	size_t i;
	json_t *e;

	client_table_init(&t, ARRAY_SIZE(head), head);
	json_array_foreach (list, i, e) {
		char name[128], scope[16], created[64], used[64], state[80];
		const char *row[] = {name, scope, created, used, state};

		client_str(name, sizeof(name), e, "name", "-");
		client_str(scope, sizeof(scope), e, "scope", "-");
		client_str(created, sizeof(created), e, "created", "-");
		client_str(used, sizeof(used), e, "last_used", "never");
		if (json_is_string(json_object_get(e, "revoked")))
			snprintf(state, sizeof(state), "revoked %s",
			         json_string_value(
			                 json_object_get(e, "revoked")));
		else
			snprintf(state, sizeof(state), "active");
		client_table_row(&t, row);
	}
	client_table_print(stdout, &t);
	client_table_release(&t);
}

static int check(const struct token_opts *o)
{
	int needs_name;

	if (!o->verb)
		return cli_usage_error(&cmd_token, "%s",
		                       "name what to do: create, ls or revoke");
	needs_name = !strcmp(o->verb, "create") || !strcmp(o->verb, "revoke");

	if (strcmp(o->verb, "create") && strcmp(o->verb, "ls") &&
	    strcmp(o->verb, "revoke"))
		return cli_usage_error(&cmd_token,
		                       "unknown action '%s': create, ls or "
		                       "revoke",
		                       o->verb);
	if (needs_name && !o->name)
		return cli_usage_error(&cmd_token, "token %s needs --name",
		                       o->verb);
	if (o->name && (!*o->name || strlen(o->name) > 64 ||
	                strspn(o->name, "abcdefghijklmnopqrstuvwxyz"
	                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	                                "._@-") != strlen(o->name)))
		return cli_usage_error(
		        &cmd_token,
		        "a token name is 1 to 64 letters, digits "
		        "and . _ @ -, not '%s'",
		        o->name);
	if (!strcmp(o->verb, "create") &&
	    (!o->scope ||
	     (strcmp(o->scope, "read") && strcmp(o->scope, "write"))))
		return cli_usage_error(&cmd_token, "%s",
		                       "token create needs --scope read or "
		                       "--scope write");
	return 0;
}

static int run(int argc, char **argv)
{
	struct token_opts o;
	struct store *s = NULL;
	char *path = NULL;
	json_t *list = NULL;
	struct err err;
	int rc;

	err_clear(&err);
	if ((rc = parse(&o, argc, argv)) || (rc = check(&o)) || !o.verb)
		return rc < 0 ? CLI_OK : rc ? rc : CLI_ERROR;
	if (o.state_dir)
		path = xasprintf("%s/state.db", o.state_dir);
	rc = store_open(&s, path ? path : o.store, &err);
	if (!rc && !strcmp(o.verb, "create"))
		rc = create(s, &o, &err);
	else if (!rc && !strcmp(o.verb, "revoke"))
		rc = store_token_revoke(s, o.name, &err);
	else if (!rc)
		rc = store_token_list(&list, s, &err);
	if (rc) {
		cli_error(&err);
		rc = CLI_ERROR;
	} else if (list && o.json) {
		json_dumpf(list, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else if (list) {
		print_list(list);
	} else if (!strcmp(o.verb, "revoke")) {
		printf("revoked token '%s'\n", o.name);
	}
	json_decref(list);
	store_free(s);
	free(path);
	return rc;
}

const struct cmd_entry cmd_token = {
        .name = "token",
        .usage = "kedge token create --name N --scope read|write | ls | "
                 "revoke --name N [--state-dir DIR | --store URL]",
        .summary = "Manage the bearer tokens of kedge mcp's HTTP server.",
        .help = "    create              make a token; it is printed once, "
                "alone on the last line\n"
                "    ls                  list tokens (never their "
                "values)\n"
                "    revoke              revoke a token at once\n"
                "    --name N            the token's name (its owner, in "
                "the audit log and commits)\n"
                "    --scope S           read (read tools) or write (every "
                "tool)\n"
                "    --state-dir DIR     the store in DIR/state.db, as "
                "kedge run\n"
                "    --store URL         the store, by path or URL\n"
                "    --output FORMAT     ls: text (default) or json\n",
        .run = run,
};
