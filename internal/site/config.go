package site

import (
	"context"
	"fmt"

	"github.com/feedmill/feedmill/internal/config"
	"github.com/feedmill/feedmill/internal/content"
	"github.com/feedmill/feedmill/internal/imgproxy"
)

// FromConfig turns feedmill's configuration into the site's, so that
// feedmill build and feedmill serve build the same site. With
// image_proxy: builtin it reads the signing key from the store, and
// generates and keeps one there on first use.
func FromConfig(ctx context.Context, cfg config.Config, st imgproxy.Settings) (Config, error) {
	sc := Config{
		Dir:         cfg.SiteDir(),
		Title:       cfg.Site.Title,
		Description: cfg.Site.Description,
		BaseURL:     cfg.Site.BaseURL,
		PerPage:     cfg.Site.PerPage,
		FeedItems:   cfg.Site.FeedItems,
		Location:    cfg.Location(),
	}
	sc.Sources = make([]string, 0, len(cfg.Sources))
	for _, s := range cfg.FeedSources() {
		sc.Sources = append(sc.Sources, s.Key())
	}
	// The site cleans bodies as posts are cleaned; per-source settings are
	// the posts' own, the site takes the global ones.
	proxy, style := cfg.Cleaning(-1)
	sc.Content = content.Options{ImageProxy: proxy, Style: content.Style(style)}
	if cfg.Site.Templates != "" {
		sc.Templates = cfg.Path(cfg.Site.Templates)
	}
	if cfg.ImageProxy == "builtin" {
		key, err := imgproxy.Key(ctx, st, cfg.ImageProxyKey)
		if err != nil {
			return sc, fmt.Errorf("image proxy key: %w", err)
		}
		sc.ImageProxy = imgproxy.NewSigner(key)
	}
	return sc, nil
}

// ImagePath is the path the builtin image proxy answers at, under the
// base URL's path ("/img" when none): the pages point their images there,
// and feedmill serve mounts the proxy there.
func (c Config) ImagePath() string { return c.root() + "img" }
