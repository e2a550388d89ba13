/* SPDX-License-Identifier: GPL-2.0 */
/* show_gfp_flags() is only in what the events print: left out. */
