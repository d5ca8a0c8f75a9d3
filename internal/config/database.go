package config

import (
	"errors"
	"net/url"
	"strings"
)

// DefaultDatabase is where the effects go unless DATABASE_URL says otherwise:
// a SQLite file, so that the effect consumers need nothing but Go.
const DefaultDatabase = "sqlite:.lab/kitchen.db"

// Database is a parsed DATABASE_URL.
type Database struct {
	// Kind is "sqlite" or "postgres".
	Kind string
	// Path is the SQLite file (Kind sqlite).
	Path string
	// URL is the whole setting as given, password included: for the driver
	// only, never for printing (Redacted is for that).
	URL string
}

// Redacted is the setting with any password replaced by xxxxx.
func (d Database) Redacted() string { return RedactURL(d.URL) }

// DatabaseForms is what DATABASE_URL accepts, for messages.
const DatabaseForms = "sqlite:PATH (a SQLite file, created if missing) or postgres://user:password@host:port/dbname"

// ParseDatabase checks a DATABASE_URL value. Its errors never repeat a
// password.
func ParseDatabase(v string) (Database, error) {
	v = strings.TrimSpace(v)
	switch {
	case strings.HasPrefix(v, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(v, "sqlite:"), "//")
		if path == "" {
			return Database{}, errors.New("sqlite: needs a file path, e.g. sqlite:.lab/kitchen.db")
		}
		return Database{Kind: "sqlite", Path: path, URL: v}, nil
	case strings.HasPrefix(v, "postgres://"), strings.HasPrefix(v, "postgresql://"):
		u, err := url.Parse(v)
		if err != nil {
			// url.Parse's error quotes the whole value, password and all.
			return Database{}, errors.New("not a valid URL; want " + DatabaseForms)
		}
		if u.Host == "" {
			return Database{}, errors.New("names no host; want " + DatabaseForms)
		}
		return Database{Kind: "postgres", URL: v}, nil
	}
	return Database{}, errors.New("want " + DatabaseForms)
}

// RedactURL replaces the password of a URL (user:password@, or a password=
// query parameter) with xxxxx. A value that does not parse as a URL is
// reduced to its scheme, since it might hold a password anywhere.
func RedactURL(v string) string {
	if strings.HasPrefix(v, "sqlite:") {
		return v
	}
	u, err := url.Parse(v)
	if err != nil {
		scheme, _, _ := strings.Cut(v, ":")
		return scheme + ":(unreadable URL, not shown)"
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// DatabaseURL is the DATABASE_URL setting. Unlike the other settings, a
// refused value is quoted back without its password.
func (s *Set) DatabaseURL() *Database {
	out := new(Database)
	help := "where the effects (tickets) and the db-offsets consumer's offsets are stored: " + DatabaseForms
	s.shown("DATABASE_URL", DefaultDatabase, help, func(v string) error {
		d, err := ParseDatabase(v)
		*out = d
		return err
	}, RedactURL)
	return out
}
