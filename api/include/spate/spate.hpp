// Everything a user program needs: environment, streams, state, sources and
// sinks of the API.
#pragma once

#include "spate/api/builtin.hpp"
#include "spate/api/environment.hpp"
#include "spate/api/functions.hpp"
#include "spate/api/process.hpp"
#include "spate/api/stream.hpp"
#include "spate/api/time.hpp"
#include "spate/api/window.hpp"
#include "spate/core/codec.hpp"
#include "spate/state/keyed_state_backend.hpp"
