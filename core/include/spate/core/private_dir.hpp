// Directories where spate keeps what it must be able to trust later
// (checkpoints, savepoints, state): created only for this process's user,
// and refused when someone else could change what is in them. A directory is
// safe when it and every directory above it belong to this user or to root
// and no other user may write to them, except sticky directories of root
// such as /tmp (others may add entries there, but not touch ours).
#pragma once

#include <string>

namespace spate {

//! Why another user could replace or change entries of `dir` (an existing
//! directory; symbolic links resolved), naming the directory at fault; empty
//! when none could.
std::string unsafe_directory(const std::string& dir);

//! Creates `dir` and the missing directories above it, each only for this
//! user (0700), then checks it with unsafe_directory(). Throws spate::error:
//! errc::io when it cannot create them, errc::failed_precondition naming
//! `what` (e.g. "checkpoint directory"), `dir` and why when it is not safe.
void make_private_directories(const std::string& dir, const std::string& what);

} // namespace spate
