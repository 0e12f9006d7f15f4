# config.mk - flags shared by every directory. Included with TOP set.
CC       ?= cc
AR       ?= ar
CFLAGS   ?= -O2 -g -Wall -Wextra
PREFIX   ?= /usr/local
DEBUG    ?= 0
SANITIZE ?= 0
PKG_CONFIG ?= pkg-config

override CPPFLAGS += -I$(TOP)/include -D_GNU_SOURCE
override CFLAGS   += -std=gnu11 -pthread
override LDFLAGS  += -pthread

ifneq ($(DEBUG),0)
override CPPFLAGS += -DVM_DEBUG=$(DEBUG)
endif
ifeq ($(SANITIZE),1)
override CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer
override LDFLAGS += -fsanitize=address,undefined
endif

# liburing is optional: swap uses it when present.
HAVE_URING := $(shell $(PKG_CONFIG) --exists liburing 2>/dev/null && echo 1)
ifeq ($(HAVE_URING),1)
override CPPFLAGS += -DVM_HAVE_URING $(shell $(PKG_CONFIG) --cflags liburing)
URING_LIBS := $(shell $(PKG_CONFIG) --libs liburing)
endif

LIBVM    := $(TOP)/libvm/libvm.a
VM_LIBS  := $(LIBVM) $(URING_LIBS) -lm
