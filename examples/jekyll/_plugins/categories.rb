# Gives every category its page, /categories/<name>/, listing its posts:
# each level of feedmill's group / source / channel. Jekyll has no
# category pages of its own, and GitHub Pages' built-in build runs no
# plugins: build with GitHub Actions (see examples/github-actions).
module Feedmill
  class CategoryPage < Jekyll::PageWithoutAFile
    def initialize(site, name, posts)
      super(site, site.source, File.join("categories", name), "index.html")
      data["layout"] = "category"
      data["title"] = name
      data["posts"] = posts
    end
  end

  class CategoryPages < Jekyll::Generator
    safe true

    def generate(site)
      site.categories.each do |name, posts|
        site.pages << CategoryPage.new(site, name, posts)
      end
    end
  end
end
