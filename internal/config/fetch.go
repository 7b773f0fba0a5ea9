package config

import "github.com/feedmill/feedmill/internal/fetch"

// FetchOptions are the fetch settings of the configuration, for
// fetch.New.
func (c Config) FetchOptions() fetch.Options {
	return fetch.Options{
		Timeout:             c.Timeout.Std(),
		ConnectTimeout:      c.ConnectTimeout.Std(),
		MaxBytes:            c.MaxBytes,
		UserAgent:           c.UserAgent,
		Concurrency:         c.Concurrency,
		PerHost:             c.PerHost,
		HostDelay:           c.HostDelay.Std(),
		DenyPrivateNetworks: c.DenyPrivateNetworks,
	}
}
