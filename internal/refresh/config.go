package refresh

import (
	"log/slog"

	"github.com/feedmill/feedmill/internal/config"
	"github.com/feedmill/feedmill/internal/content"
	"github.com/feedmill/feedmill/internal/fetch"
	"github.com/feedmill/feedmill/internal/publish/hexo"
	"github.com/feedmill/feedmill/internal/publish/hugo"
	"github.com/feedmill/feedmill/internal/publish/jekyll"
)

// FromConfig returns the Runner a configuration describes, on st. feedmill
// run and feedmill serve both build theirs here, so that they fetch,
// clean and publish alike.
func FromConfig(cfg config.Config, st Store, logger *slog.Logger) *Runner {
	proxy, style := cfg.Cleaning(-1)
	per := make(map[string]content.Options, len(cfg.Sources))
	for i, s := range cfg.FeedSources() {
		proxy, style := cfg.Cleaning(i)
		per[s.Key()] = content.Options{ImageProxy: proxy, Style: content.Style(style)}
	}
	return &Runner{
		Fetch:         fetch.New(cfg.FetchOptions()),
		Store:         st,
		Outputs:       OutputsOf(cfg),
		Base:          cfg.Dir(),
		Location:      cfg.Location(),
		Concurrency:   cfg.Concurrency,
		Logger:        logger,
		Content:       content.Options{ImageProxy: proxy, Style: content.Style(style)},
		SourceContent: per,
	}
}

// OutputsOf returns the outputs a configuration lists.
func OutputsOf(cfg config.Config) []Output {
	var outs []Output
	for _, o := range cfg.OutputList() {
		outs = append(outs, Output{Dir: cfg.Path(o.Dir), Format: FormatOf(o), Name: config.OutputName(o.Dir)})
	}
	return outs
}

// FormatOf returns the post format an output names. Config.Validate has
// refused any other name; the format of the system feedmill replaces,
// Hexo, is the default.
func FormatOf(o config.Output) Format {
	switch o.Format {
	case "hugo":
		return hugo.Format{Section: o.Section}
	case "jekyll":
		return jekyll.Format{}
	default:
		return hexo.Format{}
	}
}
