/* SPDX-License-Identifier: GPL-2.0 */
#include "../mpool_shim.h"
