// Command ferretdb runs FerretDB (MongoDB wire protocol) on an SQLite data
// directory.
//
// We wrap the embeddable library package instead of building upstream's
// cmd/ferretdb because that command refuses to start without generated
// version files that a plain module build does not have.
//
// Every flag falls back to an environment variable so supervisord configs and
// tests can use either style.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// envOr returns the environment variable's value, or def when it is unset or
// empty, so flags keep working defaults while ops can override through env.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// parseLevel maps a level name to slog's; an unknown name is an error rather
// than a silent fallback, so a typo in a config is noticed at once.
func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		l = slog.LevelDebug
	case "info", "":
		l = slog.LevelInfo
	case "warn", "warning":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		return l, fmt.Errorf("unknown log level %q (want debug, info, warn or error)", s)
	}
	return l, nil
}

// sqliteURL turns a directory into the "file:" URI the SQLite backend wants:
// absolute, and ending with a slash (the backend rejects anything else).
func sqliteURL(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	u := url.URL{Scheme: "file", Path: strings.TrimSuffix(abs, "/") + "/"}
	return u.String(), nil
}

func run() error {
	listen := flag.String("listen-addr", envOr("FERRETDB_LISTEN_ADDR", "127.0.0.1:27017"),
		"TCP address to listen on (env FERRETDB_LISTEN_ADDR)")
	unix := flag.String("listen-unix", envOr("FERRETDB_LISTEN_UNIX", ""),
		"optional Unix socket path to listen on as well (env FERRETDB_LISTEN_UNIX)")
	dir := flag.String("sqlite-dir", envOr("FERRETDB_SQLITE_DIR", "data"),
		"directory for the SQLite databases, created if missing (env FERRETDB_SQLITE_DIR)")
	level := flag.String("log-level", envOr("FERRETDB_LOG_LEVEL", "info"),
		"debug, info, warn or error (env FERRETDB_LOG_LEVEL)")
	flag.Parse()

	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", flag.Args())
	}

	lvl, err := parseLevel(*level)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	slog.SetDefault(logger)

	if *listen == "" && *unix == "" {
		return errors.New("nothing to listen on: set -listen-addr or -listen-unix")
	}

	if err = os.MkdirAll(*dir, 0o750); err != nil {
		return fmt.Errorf("creating data directory: %w", err)
	}
	uri, err := sqliteURL(*dir)
	if err != nil {
		return err
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen, Unix: *unix},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: uri,
	})
	if err != nil {
		return err
	}

	// SIGTERM comes from supervisord, SIGINT from Ctrl-C; both cancel the
	// context, which closes the listener, open connections and the backend.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	logger.Info("starting", "listen_addr", *listen, "listen_unix", *unix, "sqlite_url", uri)
	if err = f.Run(ctx); err != nil {
		return err
	}
	logger.Info("stopped")
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}
}
