// Every source and sink of spate_connectors.
#pragma once

#include "spate/connectors/checkpointing.hpp"
#include "spate/connectors/file_sink.hpp"
#include "spate/connectors/generator_source.hpp"
#include "spate/connectors/json_lines_source.hpp"
#include "spate/connectors/print_sink.hpp"
#include "spate/connectors/redis_sink.hpp"
#include "spate/connectors/socket_source.hpp"
#include "spate/connectors/text_file_source.hpp"
