/* SPDX-License-Identifier: GPL-2.0 */
/* Nothing to define: the host build creates no trace points. */
