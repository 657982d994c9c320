module baton.test/interop

go 1.26
