#!/usr/bin/env bash
# Installs actionlint (a Go module, pinned) into $(go env GOPATH)/bin, where
# internal/deploytest finds it to lint examples/github-actions. Safe to
# run again: it does nothing when that version is there.
set -euo pipefail
version=v1.7.12
bin="$(go env GOPATH)/bin/actionlint"
if [ -x "$bin" ] && "$bin" -version 2>/dev/null | head -1 | grep -qx "$version"; then
	echo "actionlint.sh: actionlint $version already in $bin"
	exit 0
fi
go install "github.com/rhysd/actionlint/cmd/actionlint@$version"
echo "actionlint.sh: installed actionlint $version in $bin"
