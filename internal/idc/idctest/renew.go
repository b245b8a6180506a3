package idctest

import (
	"crypto/x509"
	"os"
	"path/filepath"

	"github.com/amupgrade/amupgrade/internal/idc"
)

// RenewTLS does to an installation's security folder what an operator does
// with keytool when its certificate expires: the key store's alias gets a
// new key and certificate (cert), the trust store's alias the new
// certificate; every other entry is kept as it is stored. Both stores are
// written again with password.
func RenewTLS(dir, password, alias string, cert Cert) error {
	ksPath := filepath.Join(dir, "security", "keystore.jceks")
	tsPath := filepath.Join(dir, "security", "truststore")
	ks, err := idc.ReadStore(ksPath, &password)
	if err != nil {
		return err
	}
	ts, err := idc.ReadStore(tsPath, &password)
	if err != nil {
		return err
	}
	keep := func(s *idc.Store, replace func(*idc.Entry) Entry) []Entry {
		var out []Entry
		for _, e := range s.Entries {
			switch {
			case e.Alias == alias:
				out = append(out, replace(e))
			default:
				out = append(out, Entry{Alias: e.Alias, Date: e.Date, Kind: int(e.Kind), Protected: e.Protected, ChainDER: e.ChainDER})
			}
		}
		return out
	}
	keys := keep(ks, func(e *idc.Entry) Entry {
		return Entry{Alias: alias, Key: cert.Key, Chain: []*x509.Certificate{cert.Cert}}
	})
	trusted := keep(ts, func(e *idc.Entry) Entry { return Entry{Alias: alias, Cert: cert.Cert} })
	if err := os.WriteFile(ksPath, JCEKS(password, keys...), 0o644); err != nil {
		return err
	}
	return os.WriteFile(tsPath, JKS(password, trusted...), 0o644)
}
