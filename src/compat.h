/*-------------------------------------------------------------------------
 *
 * compat.h
 *		Shims for the PostgreSQL versions the sources are written for (14 to
 *		17; only 15 is built and tested).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQ_C_COMPAT_H
#define PGMQ_C_COMPAT_H

#include "funcapi.h"

#if PG_VERSION_NUM < 150000
#include "miscadmin.h"
#include "utils/tuplestore.h"

#define MAT_SRF_USE_EXPECTED_DESC	0x01
#define MAT_SRF_BLESS				0x02

/* InitMaterializedSRF() arrived in PostgreSQL 15 */
static inline void
InitMaterializedSRF(FunctionCallInfo fcinfo, bits32 flags)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;
	TupleDesc	desc;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	if (flags & MAT_SRF_USE_EXPECTED_DESC)
		desc = CreateTupleDescCopy(rsinfo->expectedDesc);
	else if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (flags & MAT_SRF_BLESS)
		BlessTupleDesc(desc);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tuplestore_begin_heap(false, false, work_mem);
	rsinfo->setDesc = desc;
	MemoryContextSwitchTo(old);
}
#endif

#endif							/* PGMQ_C_COMPAT_H */
